/**
 * GraphQL at {@code /graphql} (graphql-java): the REST read models under the REST names, batched by
 * DataLoader so that a query makes one statement per database-backed field of its document, limited
 * in depth and cost before it runs, with persisted queries answered on GET; mutations go through
 * the REST write routes themselves.
 */
@NullMarked
package dev.hotpath.graphql;

import org.jspecify.annotations.NullMarked;
