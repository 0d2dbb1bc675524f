package dev.hotpath.support;

/**
 * The test suite's in-JVM Kafka broker as a process of its own, for scripts/bench-relay.sh (no
 * Kafka distribution or container is needed): prints {@code bootstrap=HOST:PORT} once it serves,
 * then runs until killed.
 */
public final class KafkaBrokerMain {
  private KafkaBrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    System.out.println("bootstrap=" + KafkaBroker.get().bootstrap());
    System.out.flush();
    Thread.currentThread().join();
  }
}
