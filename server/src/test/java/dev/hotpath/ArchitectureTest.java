package dev.hotpath;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The floors of the house (docs/architecture.md), checked on the compiled classes: the top floor
 * ({@code App}, {@code HttpVerticle}, {@code AdminRoutes}, {@code cli}) wires the flows ({@code
 * edge}, {@code ingest}, {@code compute}, {@code serve}, {@code outside}, {@code stubs}), which
 * stand on the ground floor ({@code http}, {@code store}, {@code observe}, {@code config}). Arrows
 * point down only; no package imports one that imports it back.
 */
class ArchitectureTest {
  private static final JavaClasses MAIN =
      new ClassFileImporter()
          .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
          .importPackages("dev.hotpath");

  private static final String[] FLOWS = {
    "dev.hotpath.edge..",
    "dev.hotpath.ingest..",
    "dev.hotpath.compute..",
    "dev.hotpath.serve..",
    "dev.hotpath.graphql..",
    "dev.hotpath.outside..",
    "dev.hotpath.stubs..",
    "dev.hotpath.cli.."
  };

  @Test
  void noPackageImportsOneThatImportsItBack() {
    slices().matching("dev.hotpath.(*)..").should().beFreeOfCycles().check(MAIN);
    slices().matching("dev.hotpath.(**)").should().beFreeOfCycles().check(MAIN);
  }

  @Test
  void theHttpToolkitImportsNoFlowAndNoTopFloor() {
    noClasses()
        .that()
        .resideInAPackage("dev.hotpath.http..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(FLOWS)
        .orShould()
        .dependOnClassesThat()
        .resideInAPackage("dev.hotpath")
        .check(MAIN);
  }

  @Test
  void theGroundFloorImportsNoFlowAndNoTopFloor() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.hotpath.store..", "dev.hotpath.observe..", "dev.hotpath.config..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(FLOWS)
        .orShould()
        .dependOnClassesThat()
        .resideInAPackage("dev.hotpath")
        .check(MAIN);
  }

  @Test
  void noFlowImportsTheRouteTableOrTheWiring() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "dev.hotpath.edge..",
            "dev.hotpath.ingest..",
            "dev.hotpath.compute..",
            "dev.hotpath.serve..",
            "dev.hotpath.graphql..",
            "dev.hotpath.outside..",
            "dev.hotpath.stubs..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.hotpath")
        .check(MAIN);
  }

  @Test
  void noFlowOrGroundFloorImportsTheGrpcServer() {
    noClasses()
        .that()
        .resideOutsideOfPackages("dev.hotpath.grpc..", "dev.hotpath")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("dev.hotpath.grpc..")
        .because("gRPC is a way in, wired at the top floor like the route table")
        .check(MAIN);
  }

  @Test
  void theToolkitAndTheEdgeSendNoSql() {
    noClasses()
        .that()
        .resideInAnyPackage("dev.hotpath.http..", "dev.hotpath.edge..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.vertx.sqlclient..")
        .check(MAIN);
  }

  @Test
  void theReadSideQueriesOnlyThroughStatements() {
    // Row, RowSet and Tuple are the values of a query; these are what send one
    noClasses()
        .that()
        .resideInAPackage("dev.hotpath.serve..")
        .should()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.vertx.sqlclient.Pool")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.vertx.sqlclient.SqlClient")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.vertx.sqlclient.SqlConnection")
        .orShould()
        .dependOnClassesThat()
        .haveFullyQualifiedName("io.vertx.sqlclient.PreparedQuery")
        .because("every query of serve goes through store.Statements (counted, bounded, guarded)")
        .check(MAIN);
  }
}
