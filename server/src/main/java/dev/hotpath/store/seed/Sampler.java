package dev.hotpath.store.seed;

import java.util.SplittableRandom;

/**
 * Samples indexes 0..n-1 with Zipf weights in O(1) (Vose's alias method). Which index gets which
 * rank is a random permutation, so the most active customers are not simply the lowest ids.
 */
final class Sampler {
  private final double[] probability;
  private final int[] alias;

  private Sampler(double[] probability, int[] alias) {
    this.probability = probability;
    this.alias = alias;
  }

  int size() {
    return alias.length;
  }

  static Sampler zipf(int n, double exponent, SplittableRandom random) {
    int[] rank = new int[n];
    for (int i = 0; i < n; i++) {
      rank[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = rank[i];
      rank[i] = rank[j];
      rank[j] = t;
    }
    double[] weight = new double[n];
    double sum = 0;
    for (int i = 0; i < n; i++) {
      weight[i] = 1.0 / StrictMath.pow(rank[i] + 1, exponent);
      sum += weight[i];
    }
    double[] probability = new double[n];
    int[] alias = new int[n];
    int[] small = new int[n];
    int[] large = new int[n];
    int smallCount = 0;
    int largeCount = 0;
    for (int i = 0; i < n; i++) {
      weight[i] = weight[i] * n / sum;
      if (weight[i] < 1.0) {
        small[smallCount++] = i;
      } else {
        large[largeCount++] = i;
      }
    }
    while (smallCount > 0 && largeCount > 0) {
      int s = small[--smallCount];
      int l = large[--largeCount];
      probability[s] = weight[s];
      alias[s] = l;
      weight[l] = (weight[l] + weight[s]) - 1.0;
      if (weight[l] < 1.0) {
        small[smallCount++] = l;
      } else {
        large[largeCount++] = l;
      }
    }
    while (largeCount > 0) {
      int l = large[--largeCount];
      probability[l] = 1.0;
      alias[l] = l;
    }
    while (smallCount > 0) { // only rounding leftovers
      int s = small[--smallCount];
      probability[s] = 1.0;
      alias[s] = s;
    }
    return new Sampler(probability, alias);
  }

  int sample(SplittableRandom random) {
    int i = random.nextInt(alias.length);
    return random.nextDouble() < probability[i] ? i : alias[i];
  }
}
