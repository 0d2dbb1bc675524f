package dev.hotpath.grpc;

import dev.hotpath.proto.v1.Customer;
import dev.hotpath.proto.v1.CustomerPage;
import dev.hotpath.proto.v1.CustomersServiceGrpc;
import dev.hotpath.proto.v1.GetCustomerRequest;
import dev.hotpath.proto.v1.ListCustomersRequest;
import io.grpc.stub.StreamObserver;

/** CustomersService: GET /v1/customers/{id} and GET /v1/customers. */
final class CustomersService extends CustomersServiceGrpc.CustomersServiceImplBase {
  private final Bridge bridge;

  CustomersService(Bridge bridge) {
    this.bridge = bridge;
  }

  @Override
  public void getCustomer(GetCustomerRequest request, StreamObserver<Customer> out) {
    bridge.get(
        "/v1/customers/" + request.getId() + Bridge.query("fields", request.getFields()),
        Customer.parser(),
        out);
  }

  @Override
  public void listCustomers(ListCustomersRequest request, StreamObserver<CustomerPage> out) {
    bridge.get(
        "/v1/customers"
            + Bridge.query(
                "status",
                request.hasStatus() ? request.getStatus() : null,
                "limit",
                request.getLimit() == 0 ? null : Integer.toString(request.getLimit()),
                "cursor",
                request.getCursor(),
                "fields",
                request.getFields()),
        CustomerPage.parser(),
        out);
  }
}
