package dev.hotpath.store.seed;

import static dev.hotpath.store.seed.Ascii.ascii;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.SplittableRandom;

/** The seeded customers: their rows, and a {@code customer.created} event for each. */
final class CustomerRows {

  private static final String COPY_CUSTOMERS =
      "COPY customers (id, email, name, status, address, version, created_at, updated_at) FROM STDIN";

  private CustomerRows() {}

  static void write(SeedRun run, CopyLane lane, long firstId, SplittableRandom random)
      throws SQLException {
    SeedPlan plan = run.plan();
    CopyLane.Stream out = lane.stream(COPY_CUSTOMERS);
    Sink sink = out.rows();
    int total = plan.customers();
    byte[] emailTail = ascii("." + run.seedText() + "@example.com\t");
    Addresses addresses = new Addresses(plan.seed());
    for (int i = 0; i < total; i++) {
      long id = firstId + i;
      sink.num(id).tab();
      sink.ch('c').num(id).raw(emailTail);
      sink.raw(Words.FIRST_NAMES[random.nextInt(Words.FIRST_NAMES.length)])
          .ch(' ')
          .raw(Words.LAST_NAMES[random.nextInt(Words.LAST_NAMES.length)])
          .tab();
      int status = random.nextInt(100);
      sink.raw(status < 95 ? Words.ACTIVE : status < 98 ? Words.SUSPENDED : Words.CLOSED).tab();
      if (!addresses.customerAddress(sink, id)) {
        sink.raw(Words.NULL);
      }
      sink.tab().raw(Words.VERSION_1);
      long created = SeedRun.spread(i, total, random);
      sink.ts(created).tab().ts(created).nl();
      if (run.due(i + 1, total)) {
        sink = out.send(run.report("customers", i + 1, total));
      }
    }
  }

  static void events(Connection conn, long first, long last) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute(
          "INSERT INTO outbox (type, aggregate_id, payload) SELECT 'customer.created', c.id,"
              + " jsonb_build_object('customer_id', c.id, 'email', c.email, 'name', c.name,"
              + " 'status', c.status, 'created_at', c.created_at, 'source', 'seed')"
              + " FROM customers c WHERE c.id BETWEEN "
              + first
              + " AND "
              + last
              + " ORDER BY c.id");
    }
  }
}
