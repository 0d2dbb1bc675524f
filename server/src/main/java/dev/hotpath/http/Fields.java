package dev.hotpath.http;

import java.util.ArrayList;
import java.util.List;

/**
 * The fields a representation can have, and the parser for the {@code fields=} sparse-fieldset
 * parameter over them. Top-level names and, where the resource has lines, {@code items.NAME}. At
 * most 64 names per level. Immutable and thread-safe.
 */
public final class Fields {
  private final List<String> names;
  private final List<String> itemNames;
  private final int itemsIndex;
  private final Selection all;

  private Fields(List<String> names, List<String> itemNames) {
    if (names.size() > 64 || itemNames.size() > 64) {
      throw new IllegalArgumentException(
          "at most 64 fields per level, had " + names.size() + "/" + itemNames.size());
    }
    this.names = List.copyOf(names);
    this.itemNames = List.copyOf(itemNames);
    this.itemsIndex = names.indexOf("items");
    this.all = new Selection(mask(names.size()), mask(itemNames.size()), "");
  }

  public static Fields of(List<String> names) {
    return new Fields(names, List.of());
  }

  public static Fields withItems(List<String> names, List<String> itemNames) {
    if (!names.contains("items")) {
      throw new IllegalArgumentException("a resource with item fields needs an 'items' field");
    }
    return new Fields(names, itemNames);
  }

  private static long mask(int n) {
    return n == 64 ? -1L : (1L << n) - 1;
  }

  public int index(String name) {
    int i = names.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("no field " + name);
    }
    return i;
  }

  public int itemIndex(String name) {
    int i = itemNames.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("no item field " + name);
    }
    return i;
  }

  public Selection all() {
    return all;
  }

  /**
   * Parses a comma-separated fieldset; unknown names are added to {@code errors} (all of them), in
   * which case the returned selection is meaningless.
   */
  public Selection parse(String param, List<FieldError> errors) {
    if (param.isEmpty()) {
      errors.add(new FieldError("fields", "must name at least one field"));
      return all;
    }
    long top = 0;
    long items = 0;
    boolean wholeItems = false;
    for (String raw : param.split(",", -1)) {
      String name = raw.trim();
      if (name.startsWith("items.") && itemsIndex >= 0) {
        int i = itemNames.indexOf(name.substring(6));
        if (i < 0) {
          errors.add(new FieldError("fields", "unknown field '" + truncate(name) + "'"));
        } else {
          top |= 1L << itemsIndex;
          items |= 1L << i;
        }
        continue;
      }
      int i = names.indexOf(name);
      if (i < 0) {
        errors.add(new FieldError("fields", "unknown field '" + truncate(name) + "'"));
      } else {
        top |= 1L << i;
        if (i == itemsIndex) {
          wholeItems = true;
        }
      }
    }
    if (wholeItems) {
      items = all.items;
    }
    if (top == all.top && items == all.items) {
      return all;
    }
    return new Selection(top, items, canonical(top, items));
  }

  /**
   * The selection with these bits, as {@link #parse} returns it for the same fields (used to
   * rebuild a selection from a cache key).
   */
  public Selection selection(long top, long items) {
    if (top == all.top && items == all.items) {
      return all;
    }
    return new Selection(top, items, canonical(top, items));
  }

  private String canonical(long top, long items) {
    var parts = new ArrayList<String>();
    for (int i = 0; i < names.size(); i++) {
      if ((top & (1L << i)) != 0) {
        parts.add(names.get(i));
      }
    }
    for (int i = 0; i < itemNames.size(); i++) {
      if ((items & (1L << i)) != 0) {
        parts.add("items." + itemNames.get(i));
      }
    }
    return String.join(",", parts);
  }

  private static String truncate(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "…" : s;
  }

  /**
   * A parsed fieldset. {@code key} is a canonical form ("" for every field), fit for cache keys and
   * ETags.
   */
  public record Selection(long top, long items, String key) {
    public boolean has(int field) {
      return (top & (1L << field)) != 0;
    }

    public boolean hasItem(int field) {
      return (items & (1L << field)) != 0;
    }
  }
}
