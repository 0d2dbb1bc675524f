package dev.hotpath.grpc;

import dev.hotpath.proto.v1.GetProductRequest;
import dev.hotpath.proto.v1.ListProductsRequest;
import dev.hotpath.proto.v1.Product;
import dev.hotpath.proto.v1.ProductPage;
import dev.hotpath.proto.v1.ProductsServiceGrpc;
import io.grpc.stub.StreamObserver;

/** ProductsService: GET /v1/products/{id} and GET /v1/products. */
final class ProductsService extends ProductsServiceGrpc.ProductsServiceImplBase {
  private final Bridge bridge;

  ProductsService(Bridge bridge) {
    this.bridge = bridge;
  }

  @Override
  public void getProduct(GetProductRequest request, StreamObserver<Product> out) {
    bridge.get(
        "/v1/products/" + request.getId() + Bridge.query("fields", request.getFields()),
        Product.parser(),
        out);
  }

  @Override
  public void listProducts(ListProductsRequest request, StreamObserver<ProductPage> out) {
    bridge.get(
        "/v1/products"
            + Bridge.query(
                "category",
                request.hasCategory() ? request.getCategory() : null,
                "sort",
                request.hasSort() ? request.getSort() : null,
                "limit",
                request.getLimit() == 0 ? null : Integer.toString(request.getLimit()),
                "cursor",
                request.getCursor(),
                "fields",
                request.getFields()),
        ProductPage.parser(),
        out);
  }
}
