package dev.hotpath.serve;

import dev.hotpath.http.Fields;
import dev.hotpath.http.Format;
import dev.hotpath.proto.v1.OrderPage;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Not a test: the CPU of encoding one customer-orders page (#22), in one JVM, the ways side by side
 * and in turn: JSON, protobuf through the JSON writer driving {@link ProtobufGenerator} (before
 * OrderProtobuf), protobuf from the rows ({@link OrderProtobuf}), and the JSON page then transcoded
 * ({@link ProtobufForms#bytes}: how a first page's protobuf form was loaded before it too was
 * written from the rows). The rows are those of the bench page (PAGE orders of one line, default 5,
 * the customer's address on each, no payment), as the pg client's rows answer them. Prints the
 * thread's CPU nanoseconds per page for each, per round. Run from server/ after test-compile:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:target/hotpath.jar dev.hotpath.serve.OrderPageEncodingBench [ROUNDS] [PER_ROUND] [PAGE]
 * </pre>
 */
public final class OrderPageEncodingBench {
  private OrderPageEncodingBench() {}

  /** This thread's CPU time, not the wall clock: the machine is shared. */
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** A row answering {@code values} by position (what the page's writers read of a row). */
  static Row row(Object... values) {
    InvocationHandler h =
        (proxy, method, args) ->
            switch (method.getName()) {
              case "getValue" -> values[(Integer) args[0]];
              case "size" -> values.length;
              case "getLong" -> (Long) values[(Integer) args[0]];
              case "getInteger" -> (Integer) values[(Integer) args[0]];
              case "getString" -> (String) values[(Integer) args[0]];
              case "getOffsetDateTime" -> (OffsetDateTime) values[(Integer) args[0]];
              case "hashCode" -> System.identityHashCode(proxy);
              case "equals" -> proxy == args[0];
              default -> InvocationHandler.invokeDefault(proxy, method, args);
            };
    return (Row) Proxy.newProxyInstance(Row.class.getClassLoader(), new Class<?>[] {Row.class}, h);
  }

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int perRound = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    int size = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    List<Row> orders = new ArrayList<>();
    List<OrderRepresentation.Lines> lines = new ArrayList<>();
    OffsetDateTime t = OffsetDateTime.of(2026, 11, 3, 10, 15, 30, 123_456_000, ZoneOffset.UTC);
    for (int i = 0; i < size; i++) {
      long id = 340_848_604_796_971L - i;
      orders.add(
          row(
              id,
              42L,
              "placed",
              "USD",
              2_970L + i,
              2_970L + i,
              3,
              // a text of its own per row, as the pg client reads each row's
              new String(
                  "{\"city\": \"Springfield\", \"line1\": \"1 Test Street\", \"country\": \"US\","
                      + " \"postal_code\": \"12345\"}"),
              1,
              t.plusMinutes(i),
              t.plusMinutes(i),
              null,
              null));
      List<Row> itemRows =
          List.of(row(id, 1, 208L + i, "Demo product number " + i, 990L, 3, 2_970L + i));
      lines.add(new OrderRepresentation.RowLines(itemRows, 0, 1, 1));
    }
    Optional<String> next = Optional.of("AAZiASHLvrwAAUMAAAMNTvTjvGcJaaayle0m_9-oKj4");
    Fields.Selection all = OrderRepresentation.FIELDS.all();
    Runnable json = () -> encode(Format.JSON, orders, lines, next, all);
    Runnable generator = () -> encode(Format.PROTOBUF, orders, lines, next, all);
    Runnable rows = () -> OrderProtobuf.page(orders, lines, next, all);
    Runnable transcoded =
        () ->
            ProtobufForms.bytes(
                encode(Format.JSON, orders, lines, next, all), OrderPage.getDefaultInstance());
    byte[] a = encode(Format.PROTOBUF, orders, lines, next, all).getBytes();
    byte[] b = OrderProtobuf.page(orders, lines, next, all).getBytes();
    byte[] c =
        ProtobufForms.bytes(
                encode(Format.JSON, orders, lines, next, all), OrderPage.getDefaultInstance())
            .getBytes();
    if (!Arrays.equals(a, b) || !Arrays.equals(a, c)) {
      throw new AssertionError("the protobuf pages differ");
    }
    System.out.printf("page: JSON %d B, protobuf %d B%n", json(orders, lines, next, all), a.length);
    for (int r = 1; r <= rounds; r++) {
      System.out.printf(
          "round %d: ns per page: JSON %.0f, protobuf via generator %.0f, protobuf from rows %.0f,"
              + " JSON then transcoded %.0f%n",
          r,
          time(json, perRound),
          time(generator, perRound),
          time(rows, perRound),
          time(transcoded, perRound));
    }
  }

  private static int json(
      List<Row> orders,
      List<OrderRepresentation.Lines> lines,
      Optional<String> next,
      Fields.Selection sel) {
    return encode(Format.JSON, orders, lines, next, sel).length();
  }

  /** The page as OrderReads wrote it before OrderProtobuf, in {@code format}. */
  private static Buffer encode(
      Format format,
      List<Row> orders,
      List<OrderRepresentation.Lines> lines,
      Optional<String> next,
      Fields.Selection sel) {
    int[] i = {0};
    return Pages.encode(
        format,
        OrderPage.getDefaultInstance(),
        orders,
        next,
        600,
        (gen, order) -> OrderRepresentation.write(gen, order, lines.get(i[0]++), sel));
  }

  private static double time(Runnable task, int n) {
    long t0 = THREADS.getCurrentThreadCpuTime();
    for (int k = 0; k < n; k++) {
      task.run();
    }
    return (THREADS.getCurrentThreadCpuTime() - t0) / (double) n;
  }
}
