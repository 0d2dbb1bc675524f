package dev.hotpath.edge.auth;

import java.util.Collection;
import java.util.Optional;

/**
 * The scopes a token may grant, each one bit of {@link Principal#scopes()}, so that a route's check
 * is one mask test.
 */
public enum Scope {
  CUSTOMERS_READ("customers:read"),
  CUSTOMERS_WRITE("customers:write"),
  ORDERS_READ("orders:read"),
  ORDERS_WRITE("orders:write"),
  REPORTS("reports"),
  ADMIN("admin"),
  /** Acts for every customer: reads and writes any customer's resources. */
  SERVICE("service");

  private final String value;
  private final int bit;

  Scope(String value) {
    this.value = value;
    this.bit = 1 << ordinal();
  }

  /** The scope as tokens and the contract spell it. */
  public String value() {
    return value;
  }

  public int bit() {
    return bit;
  }

  public static Optional<Scope> of(String value) {
    for (Scope s : values()) {
      if (s.value.equals(value)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /**
   * The mask of scope names.
   *
   * @throws IllegalArgumentException naming a value that is no scope
   */
  public static int mask(Collection<String> values) {
    int mask = 0;
    for (String v : values) {
      mask |= of(v).orElseThrow(() -> new IllegalArgumentException("unknown scope " + v)).bit;
    }
    return mask;
  }

  /** The names of the scopes in {@code mask}, space-separated, in declaration order. */
  public static String names(int mask) {
    StringBuilder sb = new StringBuilder();
    for (Scope s : values()) {
      if ((mask & s.bit) != 0) {
        if (!sb.isEmpty()) {
          sb.append(' ');
        }
        sb.append(s.value);
      }
    }
    return sb.toString();
  }
}
