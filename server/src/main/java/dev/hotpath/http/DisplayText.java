package dev.hotpath.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.text.Normalizer;
import java.util.List;
import java.util.Locale;

/**
 * What the text a person reads on one line (a customer's e-mail and name, the fields of an address)
 * must be beyond the contract's schema, and the one form it is stored in. Each is stored in Unicode
 * normalization form C, so that an "é" sent composed and one sent as "e" plus a combining accent
 * are the same text (the e-mail's unique index compares bytes); the e-mail is lower-cased as
 * before. None may hold a control character (U+0000-U+001F, U+007F-U+009F): a line break, a tab, a
 * bell or a terminal's escape sequence, which the API would hand to every screen, log viewer and
 * CSV that shows the text. An e-mail must not hold a character that shows nothing (a zero-width
 * space, a soft hyphen, a byte order mark: Unicode's format characters) or a space of any script:
 * two addresses that look the same must be the same. A name and an address's required fields must
 * show something; names and address fields must not hold the bidirectional overrides and isolates
 * (U+202A-U+202E, U+2066-U+2069) that make text display in another order than it is stored.
 */
public final class DisplayText {
  /** The fields of the contract's {@code Address}, with whether each is required. */
  private static final String[] ADDRESS_FIELDS = {
    "line1", "line2", "city", "region", "postal_code"
  };

  private static final List<String> REQUIRED_ADDRESS_FIELDS =
      List.of("line1", "city", "postal_code");

  private DisplayText() {}

  /** The stored form of {@code raw}, adding to {@code errors} what is wrong with it. */
  public static String email(String raw, List<FieldError> errors) {
    String email = Normalizer.normalize(raw, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
    email
        .codePoints()
        .filter(
            cp ->
                control(cp)
                    || invisible(cp)
                    || Character.isWhitespace(cp)
                    || Character.isSpaceChar(cp))
        .findFirst()
        .ifPresent(
            cp ->
                errors.add(
                    new FieldError(
                        "/email",
                        "must not contain control or invisible characters or spaces ("
                            + codePoint(cp)
                            + ")")));
    return email;
  }

  /** The stored form of {@code raw}, adding to {@code errors} what is wrong with it. */
  public static String name(String raw, List<FieldError> errors) {
    return line(raw, "/name", true, errors);
  }

  /**
   * The stored form of an address the contract has already checked (an object with the {@code
   * Address} schema's fields), as JSON text, adding to {@code errors}, under {@code pointer}, what
   * is wrong with its fields.
   */
  public static String address(JsonNode address, String pointer, List<FieldError> errors) {
    ObjectNode stored = ((ObjectNode) address).deepCopy();
    for (String field : ADDRESS_FIELDS) {
      JsonNode value = address.get(field);
      if (value != null && value.isTextual()) {
        stored.put(
            field,
            line(
                value.asText(),
                pointer + "/" + field,
                REQUIRED_ADDRESS_FIELDS.contains(field),
                errors));
      }
    }
    return stored.toString();
  }

  /** One line of text: NFC, no control or bidirectional control, and not blank when required. */
  private static String line(
      String raw, String pointer, boolean required, List<FieldError> errors) {
    String text = Normalizer.normalize(raw, Normalizer.Form.NFC);
    int bad = text.codePoints().filter(cp -> control(cp) || bidiControl(cp)).findFirst().orElse(-1);
    if (bad >= 0) {
      errors.add(
          new FieldError(
              pointer,
              control(bad)
                  ? "must not contain control characters ("
                      + codePoint(bad)
                      + "): line breaks, tabs and escape sequences do not belong in one line of"
                      + " text"
                  : "must not contain bidirectional override or isolate characters ("
                      + codePoint(bad)
                      + "): they display text in another order than it is stored"));
    } else if (required
        && text.codePoints()
            .allMatch(
                cp -> invisible(cp) || Character.isWhitespace(cp) || Character.isSpaceChar(cp))) {
      errors.add(new FieldError(pointer, "must not be blank"));
    }
    return text;
  }

  private static boolean control(int cp) {
    return Character.getType(cp) == Character.CONTROL;
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
