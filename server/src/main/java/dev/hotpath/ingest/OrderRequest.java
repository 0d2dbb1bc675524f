package dev.hotpath.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hotpath.edge.auth.Principal;
import dev.hotpath.http.Contract;
import dev.hotpath.http.DisplayText;
import dev.hotpath.http.FieldError;
import dev.hotpath.http.ProblemException;
import dev.hotpath.http.ProblemType;
import dev.hotpath.serve.cache.ResponseCache.Kind;
import dev.hotpath.serve.cache.ResponseCache.Owner;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An order as the client asked for it ({@code POST /v1/orders}), validated once, before anything
 * else looks at it: the body against the contract's {@code OrderCreate}, the customer against the
 * caller, and each product on one line only. What comes after (pricing, payment, the write) takes
 * it as given.
 *
 * @param lines in request order; each product once
 * @param shippingAddress the address as JSON text, when the request gives one (else the customer's
 *     address on file is used)
 */
record OrderRequest(long customerId, List<Line> lines, Optional<String> shippingAddress) {

  /** A line as requested. */
  record Line(long productId, int quantity) {}

  /**
   * @throws ProblemException 422 validation-failed when a product stands on two lines
   */
  OrderRequest {
    lines = List.copyOf(lines);
    Map<Long, Integer> seen = new HashMap<>();
    List<FieldError> duplicates = new ArrayList<>();
    for (int index = 0; index < lines.size(); index++) {
      long productId = lines.get(index).productId();
      Integer first = seen.putIfAbsent(productId, index);
      if (first != null) {
        duplicates.add(
            new FieldError(
                "/items/" + index + "/product_id",
                "product "
                    + productId
                    + " is already on line "
                    + (first + 1)
                    + "; raise its quantity instead"));
      }
    }
    if (!duplicates.isEmpty()) {
      throw ProblemException.validation(duplicates);
    }
  }

  /**
   * Reads the request's body.
   *
   * @throws ProblemException 400/422 when the body breaks the contract, 422 unknown-customer when
   *     the caller may not order for the customer (another customer's id looks like no customer),
   *     422 validation-failed when a product stands on two lines
   */
  static OrderRequest read(RoutingContext ctx, Contract contract) {
    JsonNode body = contract.readBody(ProtobufBodies.asJson(ctx), "OrderCreate");
    long customerId = body.get("customer_id").asLong();
    if (!Principal.of(ctx).mayAccess(customerId)) {
      throw unknownCustomer(customerId);
    }
    List<Line> lines = new ArrayList<>();
    for (JsonNode item : body.get("items")) {
      lines.add(new Line(item.get("product_id").asLong(), item.get("quantity").asInt()));
    }
    List<FieldError> errors = new ArrayList<>(0);
    Optional<String> address =
        body.has("shipping_address")
            ? Optional.of(
                DisplayText.address(body.get("shipping_address"), "/shipping_address", errors))
            : Optional.empty();
    if (!errors.isEmpty()) {
      throw ProblemException.validation(errors);
    }
    return new OrderRequest(customerId, lines, address);
  }

  static ProblemException unknownCustomer(long customerId) {
    return new ProblemException(
        ProblemType.UNKNOWN_CUSTOMER,
        "Customer " + customerId + " does not exist or is not active",
        List.of(new FieldError("/customer_id", "no active customer " + customerId)));
  }

  /** The requested products' ids, in request order. */
  Long[] productIds() {
    Long[] ids = new Long[lines.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = lines.get(i).productId();
    }
    return ids;
  }

  /** What the order changes besides itself: the customer's orders and each product's stock. */
  List<Owner> changes() {
    List<Owner> owners = new ArrayList<>(lines.size() + 2);
    owners.add(new Owner(Kind.CUSTOMER_ORDERS, customerId));
    for (Line line : lines) {
      owners.add(new Owner(Kind.PRODUCT, line.productId()));
    }
    return owners;
  }
}
