/**
 * The statistics behind `compareWithStable`: a mixture sequential
 * probability ratio test (mSPRT) of "the canary is no worse than stable"
 * that stays valid however often it is looked at, so the judge may check it
 * after every interval and stop at the first clear evidence.
 *
 * Each test keeps, for every alternative k in RATE_RATIOS ("the canary's
 * rate is k times stable's"), the sum over intervals of the log likelihood
 * ratio of that alternative against H0 (equal rates). Every interval's ratio
 * has expectation at most 1 under H0 given everything before it, so the
 * product over intervals — and any average of such products — is a
 * nonnegative supermartingale starting at 1. Ville's inequality then bounds
 * the chance that the average EVER reaches 1/(1 − confidence) under H0 by
 * 1 − confidence: that is the false-abort bound, with no correction for
 * peeking. Everything is in log space and a test's state is a plain array of
 * numbers, so it persists as JSON.
 *
 * Two per-interval ratios, both conditional on what the interval held, so
 * each interval may have its own traffic split (setWeight steps) and its own
 * load (a burst that hits both pools alike cancels out):
 *
 * - errors (`binomialLogLRs`): given the E errors of both pools, under H0 the
 *   number from the canary is at most as spread as Binomial(E, π₀) with
 *   π₀ = n_c / (n_c + n_s) (it is hypergeometric for a fixed error chance per
 *   request, and Hoeffding's 1963 theorem makes the binomial ratio's
 *   expectation at most 1 there too); under k it is Binomial(E, π(k)) with
 *   π(k) = k·n_c / (k·n_c + n_s).
 * - slow requests (`exceedanceLogLRs`): `slow` counts requests slower than
 *   stable's own p95 over the same seconds. That threshold is cut from the
 *   stable sample, so stable's share is ~5% by construction while the
 *   canary's is not: comparing them as two binomials would be biased against
 *   the canary (for 50 stable requests, 2 are above their p95 but a canary
 *   request exceeds it with chance 3/51). The exact null instead: when the
 *   threshold is a stable order statistic with s stable requests above it,
 *   a same-distribution canary's slow count is BetaBinomial(n_c, s + 1,
 *   n_s − s) (the exceedance distribution). The alternative k scales the
 *   first shape parameter, BetaBinomial(n_c, k·(s + 1), n_s − s), which
 *   multiplies the canary's slow share by about k. Histogram buckets (ties)
 *   only lower the canary's count under H0, which keeps the test valid.
 */

/**
 * The alternatives mixed, with equal prior weight: the canary's error (or
 * slow) rate is k× stable's. A grid rather than one k: small k finds a mild
 * regression over many intervals, large k finds a broken canary in a few
 * requests; 50 stands in for "everything the canary does fails".
 */
export const RATE_RATIOS: readonly number[] = [1.5, 2, 3, 5, 10, 50];

/** Per RATE_RATIOS entry, the log likelihood ratio summed over intervals so far. */
export type LogLikelihoodRatios = readonly number[];

/** A test before any interval: every alternative at ratio 1. */
export function emptyLogLikelihoodRatios(): LogLikelihoodRatios {
  return RATE_RATIOS.map(() => 0);
}

/** One interval's counts for one pool. */
export interface EventCounts {
  readonly requests: number;
  /** Errors, or slow requests. */
  readonly events: number;
}

/**
 * Errors: one interval's log likelihood ratio for each k (conditional
 * binomial). Zero when either pool had no requests or there were no errors,
 * since such an interval says nothing about the difference.
 */
export function binomialLogLRs(canary: EventCounts, stable: EventCounts): LogLikelihoodRatios {
  const total = canary.events + stable.events;
  if (canary.requests <= 0 || stable.requests <= 0 || total === 0) return RATE_RATIOS.map(() => 0);
  const pi0 = canary.requests / (canary.requests + stable.requests);
  return RATE_RATIOS.map((k) => {
    const pik = (k * canary.requests) / (k * canary.requests + stable.requests);
    return canary.events * Math.log(pik / pi0) + stable.events * Math.log((1 - pik) / (1 - pi0));
  });
}

/**
 * Slow requests against a threshold cut from the stable sample: one
 * interval's log likelihood ratio for each k (beta-binomial exceedance
 * model, see the file comment). Zero when either pool had no requests.
 */
export function exceedanceLogLRs(canary: EventCounts, stable: EventCounts): LogLikelihoodRatios {
  if (canary.requests <= 0 || stable.requests <= 0) return RATE_RATIOS.map(() => 0);
  const n = canary.requests;
  const x = Math.min(Math.max(canary.events, 0), n);
  // A threshold above which every stable request lies is not a p95; clamp
  // so the model stays defined (a larger s only makes the test more lenient).
  const s = Math.min(Math.max(stable.events, 0), stable.requests - 1);
  const alpha = s + 1;
  const beta = stable.requests - s;
  return RATE_RATIOS.map((k) => {
    const alphaK = k * alpha;
    // log of BB(x; n, kα, β) / BB(x; n, α, β); the binomial coefficient cancels.
    return (
      logGamma(x + alphaK) -
      logGamma(alphaK) -
      logGamma(x + alpha) +
      logGamma(alpha) +
      logGamma(n + alpha + beta) -
      logGamma(alpha + beta) -
      logGamma(n + alphaK + beta) +
      logGamma(alphaK + beta)
    );
  });
}

/** Adds one interval's log likelihood ratios to the sums so far. */
export function addLogLRs(sums: LogLikelihoodRatios, interval: LogLikelihoodRatios): number[] {
  return sums.map((sum, i) => sum + (interval[i] ?? 0));
}

/**
 * The log of the mixture: the average, over every component of every test
 * given, of its likelihood ratio. Averaging the tests too (errors and
 * latency) keeps one bound for the metric as a whole instead of one per test.
 */
export function logMixture(tests: readonly LogLikelihoodRatios[]): number {
  const all = tests.flat();
  if (all.length === 0) return 0;
  const top = Math.max(...all);
  const sum = all.reduce((acc, value) => acc + Math.exp(value - top), 0);
  return top + Math.log(sum / all.length);
}

/** The log of the mixture of one test alone. */
export function logMixtureOf(test: LogLikelihoodRatios): number {
  return logMixture([test]);
}

/** Reject H0 once the mixture reaches 1/(1 − confidence) (Ville's inequality). */
export function logRejectionThreshold(confidence: number): number {
  return -Math.log(1 - confidence);
}

// Lanczos approximation (g = 7, n = 9), accurate to about 15 digits for x > 0.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0: the beta-binomial needs it for counts of any size in O(1). */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs a positive number, not ${x}.`);
  // Γ(x) = Γ(x + 1) / x keeps the series in its accurate range.
  if (x < 0.5) return logGamma(x + 1) - Math.log(x);
  const z = x - 1;
  let series = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) series += LANCZOS[i]! / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(series);
}
