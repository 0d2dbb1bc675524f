package dev.hotpath.compute;

/**
 * A place in the event log: the {@code (txid, id)} of an outbox row. The log is read in this order
 * (see {@link OutboxConsumer}); {@code txid} is an {@code xid8} carried as its decimal text.
 */
public record Position(String txid, long id) {
  public static final Position START = new Position("0", 0);

  public Position {
    if (txid.isEmpty() || !txid.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException("txid must be a decimal xid8, was " + txid);
    }
  }
}
