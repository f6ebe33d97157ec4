import { unaryKernel } from './unary.js';

// Half to even, written out (GLSL's round() leaves the direction of halves to the implementation):
// below or above the midpoint goes to the nearer integer, a tie to the even one. x − floor(x) is
// exact in float32; ±inf and NaN come back as they are. (-0.5 gives +0 here, -0 on the host.)
export const roundConfig = unaryKernel(
  'Round',
  `const below = Math.floor(x);
const fraction = x - below;
if (fraction > 0.5) {
  return below + 1.0;
}
if (fraction < 0.5) {
  return below;
}
const half = below * 0.5;
return Math.floor(half) == half ? below : below + 1.0;`,
);
