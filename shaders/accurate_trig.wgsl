// WGSL only promises sin and cos to within 2^-11 near zero (and nothing beyond ±π), far
// coarser than f32; trig features need better. Reduce to a quarter period with a two-part π/2
// (Cody–Waite, fused), then Taylor polynomials on [−π/4, π/4], accurate to a few ulp.
const HALF_PI_HIGH: f32 = 1.5707963705062866;
const HALF_PI_LOW: f32 = -4.371139000186243e-8;
const TWO_OVER_PI: f32 = 0.6366197723675814;

fn sin_cos(u: f32) -> vec2<f32> {
    let k = round(u * TWO_OVER_PI);
    let r = fma(-k, HALF_PI_LOW, fma(-k, HALF_PI_HIGH, u));
    let r2 = r * r;
    let s = r + r * r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0))));
    let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0))));
    switch (i32(k) & 3) {
        case 0: { return vec2<f32>(s, c); }
        case 1: { return vec2<f32>(c, -s); }
        case 2: { return vec2<f32>(-s, -c); }
        default: { return vec2<f32>(-c, s); }
    }
}
