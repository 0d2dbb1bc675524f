package dev.hotpath.grpc;

import dev.hotpath.proto.v1.GetOrderRequest;
import dev.hotpath.proto.v1.ListCustomerOrdersRequest;
import dev.hotpath.proto.v1.Order;
import dev.hotpath.proto.v1.OrderCreate;
import dev.hotpath.proto.v1.OrderPage;
import dev.hotpath.proto.v1.OrdersServiceGrpc;
import io.grpc.stub.StreamObserver;

/** OrdersService: GET /v1/orders/{id}, GET /v1/customers/{id}/orders and POST /v1/orders. */
final class OrdersService extends OrdersServiceGrpc.OrdersServiceImplBase {
  private final Bridge bridge;

  OrdersService(Bridge bridge) {
    this.bridge = bridge;
  }

  @Override
  public void getOrder(GetOrderRequest request, StreamObserver<Order> out) {
    bridge.get(
        "/v1/orders/" + request.getId() + Bridge.query("fields", request.getFields()),
        Order.parser(),
        out);
  }

  @Override
  public void listCustomerOrders(ListCustomerOrdersRequest request, StreamObserver<OrderPage> out) {
    bridge.get(
        "/v1/customers/"
            + request.getId()
            + "/orders"
            + Bridge.query(
                "status",
                request.hasStatus() ? request.getStatus() : null,
                "limit",
                request.getLimit() == 0 ? null : Integer.toString(request.getLimit()),
                "cursor",
                request.getCursor(),
                "fields",
                request.getFields()),
        OrderPage.parser(),
        out);
  }

  /** The idempotency key comes from the call's {@code idempotency-key} metadata. */
  @Override
  public void createOrder(OrderCreate request, StreamObserver<Order> out) {
    bridge.post("/v1/orders", request, Order.getDefaultInstance(), out);
  }
}
