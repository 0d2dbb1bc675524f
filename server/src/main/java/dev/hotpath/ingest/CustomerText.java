package dev.hotpath.ingest;

import dev.hotpath.http.FieldError;
import java.text.Normalizer;
import java.util.List;
import java.util.Locale;

/**
 * What a customer's e-mail and name must be beyond the contract's schema, and the one form they are
 * stored in. Both are stored in Unicode normalization form C, so that an "é" sent composed and one
 * sent as "e" plus a combining accent are the same address (the unique index compares bytes); the
 * e-mail is lower-cased as before. An e-mail must not hold a character that shows nothing (a
 * zero-width space, a soft hyphen, a byte order mark: Unicode's format characters) or a space of
 * any script: two addresses that look the same must be the same. A name must show something, and
 * must not hold the bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) that make
 * text display in another order than it is stored.
 */
final class CustomerText {
  private CustomerText() {}

  /** The stored form of {@code raw}, adding to {@code errors} what is wrong with it. */
  static String email(String raw, List<FieldError> errors) {
    String email = Normalizer.normalize(raw, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
    email
        .codePoints()
        .filter(cp -> invisible(cp) || Character.isWhitespace(cp) || Character.isSpaceChar(cp))
        .findFirst()
        .ifPresent(
            cp ->
                errors.add(
                    new FieldError(
                        "/email",
                        "must not contain invisible characters or spaces ("
                            + codePoint(cp)
                            + ")")));
    return email;
  }

  /** The stored form of {@code raw}, adding to {@code errors} what is wrong with it. */
  static String name(String raw, List<FieldError> errors) {
    String name = Normalizer.normalize(raw, Normalizer.Form.NFC);
    if (name.codePoints()
        .allMatch(cp -> invisible(cp) || Character.isWhitespace(cp) || Character.isSpaceChar(cp))) {
      errors.add(new FieldError("/name", "must not be blank"));
    } else {
      name.codePoints()
          .filter(CustomerText::bidiControl)
          .findFirst()
          .ifPresent(
              cp ->
                  errors.add(
                      new FieldError(
                          "/name",
                          "must not contain bidirectional override or isolate characters ("
                              + codePoint(cp)
                              + "): they display text in another order than it is stored")));
    }
    return name;
  }

  private static boolean invisible(int cp) {
    return Character.getType(cp) == Character.FORMAT;
  }

  private static boolean bidiControl(int cp) {
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
  }

  private static String codePoint(int cp) {
    return String.format(Locale.ROOT, "U+%04X", cp);
  }
}
