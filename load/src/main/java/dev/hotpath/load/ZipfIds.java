package dev.hotpath.load;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Draws ids 1..n with Zipf-like skew: rank k is drawn with weight 1/k^s, so a few hot keys take
 * most of the traffic. Ranks are spread over the ids by a fixed permutation (multiplication by a
 * number coprime to n), so the hot keys are not simply the lowest ids. Immutable and thread-safe;
 * the caller brings the random generator.
 *
 * <p>Up to {@value #EXACT_UP_TO} ids the draw is exact (a table of cumulative weights, 8 bytes per
 * id); above, it inverts the continuous approximation of the weights, which keeps memory constant.
 */
public final class ZipfIds {
  static final int EXACT_UP_TO = 1_000_000;

  private final int n;
  private final double exponent;
  private final double[] cumulative;
  private final long stride;

  public ZipfIds(int n, double exponent) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be >= 1, was " + n);
    }
    this.n = n;
    this.exponent = exponent;
    if (n <= EXACT_UP_TO) {
      this.cumulative = new double[n];
      double total = 0;
      for (int k = 1; k <= n; k++) {
        total += 1 / Math.pow(k, exponent);
        cumulative[k - 1] = total;
      }
      for (int i = 0; i < n; i++) {
        cumulative[i] /= total;
      }
    } else {
      this.cumulative = null;
    }
    this.stride = coprimeStride(n);
  }

  private static long coprimeStride(int n) {
    long candidate = Math.max(1, (long) (n * 0.618_033_988_7));
    while (gcd(candidate, n) != 1) {
      candidate++;
    }
    return candidate;
  }

  private static long gcd(long a, long b) {
    return b == 0 ? a : gcd(b, a % b);
  }

  /** An id in 1..n. */
  public long next(RandomGenerator random) {
    return idOfRank(rank(random.nextDouble()));
  }

  /** The rank (1 = hottest) whose cumulative weight first reaches {@code u} in [0, 1). */
  int rank(double u) {
    if (cumulative == null) {
      return approximateRank(u);
    }
    int i = Arrays.binarySearch(cumulative, u);
    int index = i >= 0 ? i : -i - 1;
    return Math.min(index, n - 1) + 1;
  }

  /** Inverse of the integral of x^-s over [1, n + 1): exact enough for many ids. */
  private int approximateRank(double u) {
    double x;
    if (Math.abs(exponent - 1) < 1e-9) {
      x = Math.exp(u * Math.log(n + 1.0));
    } else {
      double a = 1 - exponent;
      x = Math.pow(1 + u * (Math.pow(n + 1.0, a) - 1), 1 / a);
    }
    return (int) Math.max(1, Math.min(n, Math.floor(x)));
  }

  /** The id the given rank (1..n) maps to; a bijection of 1..n. */
  long idOfRank(int rank) {
    return ((rank - 1L) * stride + n / 3) % n + 1;
  }
}
