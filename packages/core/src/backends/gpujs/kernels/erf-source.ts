// The erf snippet shared by Erf and Gelu: statements that read `x` and return erf(x). Below
// |x| = 0.75 the Maclaurin series 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)) to n = 9 (truncation
// < 1e-9 there); above it 1 - erfc(|x|) with the Chebyshev-fitted erfc of Numerical Recipes
// (fractional error < 1.2e-7), so the result is accurate relative to itself across the range.
// `complementResult` returns 1 + erf(x) instead, computed as erfc(-x) where that keeps precision.

const series = `const s = x * x;
const series = x * (1.1283791670955126 + s * (-0.37612638903183754 + s * (0.11283791670955126 + s * (-0.026866170645131252 + s * (0.0052239776254421879
  + s * (-0.00085483270234508522 + s * (0.00012055332981789664 + s * (-0.00001492565035840625 + s * (0.0000016462114365889246 + s * -0.00000016365844691234924)))))))));`;

const complement = `const t = 1.0 / (1.0 + 0.5 * z);
const complement = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
  + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));`;

/**
 * Kernel statements: with `x` defined, return erf(x), or 1 + erf(x) when `plusOne`; with `factor`
 * (a kernel variable), that times the result.
 */
export function erfStatements(options: { plusOne?: boolean; factor?: string } = {}): string {
  const scaled = (expression: string) => (options.factor ? `${options.factor} * (${expression})` : expression);
  const small = options.plusOne ? '1.0 + series' : 'series';
  const large = options.plusOne ? 'x < 0.0 ? complement : 2.0 - complement' : 'x < 0.0 ? complement - 1.0 : 1.0 - complement';
  return `const z = Math.abs(x);
if (z < 0.75) {
${series}
return ${scaled(small)};
}
${complement}
return ${scaled(large)};
`;
}
