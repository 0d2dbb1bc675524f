package dev.hotpath.http;

/**
 * One failing input: {@code field} is a JSON-pointer-like path into the body ({@code
 * items/0/quantity}) or the name of a query parameter, header or path parameter; {@code message}
 * says what is wrong.
 */
public record FieldError(String field, String message) {}
