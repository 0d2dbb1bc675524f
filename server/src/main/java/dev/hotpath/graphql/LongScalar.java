package dev.hotpath.graphql;

import graphql.GraphQLContext;
import graphql.execution.CoercedVariables;
import graphql.language.IntValue;
import graphql.language.StringValue;
import graphql.language.Value;
import graphql.schema.Coercing;
import graphql.schema.CoercingParseLiteralException;
import graphql.schema.CoercingParseValueException;
import graphql.schema.CoercingSerializeException;
import graphql.schema.GraphQLScalarType;
import java.math.BigInteger;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * {@code Long}: a 64-bit integer written as a JSON number, as REST writes ids and amounts
 * (GraphQL's {@code Int} stops at 32 bits). Accepts a number, or a string of digits, as input.
 */
final class LongScalar {
  static final GraphQLScalarType TYPE =
      GraphQLScalarType.newScalar()
          .name("Long")
          .description("A 64-bit integer, written as a JSON number")
          .coercing(new LongCoercing())
          .build();

  private LongScalar() {}

  private static final class LongCoercing implements Coercing<Long, Long> {
    @Override
    public Long serialize(Object value, GraphQLContext context, Locale locale) {
      if (value instanceof Number n) {
        return n.longValue();
      }
      throw new CoercingSerializeException("not a 64-bit integer: " + value);
    }

    @Override
    public Long parseValue(Object input, GraphQLContext context, Locale locale) {
      @Nullable Long parsed = parse(input);
      if (parsed == null) {
        throw new CoercingParseValueException("not a 64-bit integer: " + input);
      }
      return parsed;
    }

    @Override
    public Long parseLiteral(
        Value<?> input, CoercedVariables variables, GraphQLContext context, Locale locale) {
      @Nullable Long parsed = null;
      if (input instanceof IntValue i) {
        parsed = parse(i.getValue());
      } else if (input instanceof StringValue s) {
        parsed = parse(s.getValue());
      }
      if (parsed == null) {
        throw new CoercingParseLiteralException("not a 64-bit integer: " + input);
      }
      return parsed;
    }

    private static @Nullable Long parse(Object input) {
      try {
        if (input instanceof Integer || input instanceof Long || input instanceof Short) {
          return ((Number) input).longValue();
        }
        if (input instanceof BigInteger b) {
          return b.longValueExact();
        }
        if (input instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
          return new java.math.BigDecimal(n.toString()).longValueExact();
        }
        if (input instanceof String s) {
          return Long.parseLong(s);
        }
      } catch (ArithmeticException | NumberFormatException e) {
        return null;
      }
      return null;
    }
  }
}
