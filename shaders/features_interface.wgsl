// The interface every feature kernel shares (the catalog's GpuFeatures), prepended to each by the
// host: `parameters` holds the map's own numbers (FeatureMap::parameters), `log_scale` a per-row
// log-scale for maps whose features are exponentials. Params matches FeatureParams.
struct Params {
    rows: u32,
    d: u32,
    features: u32,
    variant: u32,
    scale: f32,
    horizon: u32,
    parameters: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> parameters: array<f32>;
@group(0) @binding(3) var<storage, read_write> features: array<f32>;
@group(0) @binding(4) var<storage, read_write> log_scale: array<f32>;
