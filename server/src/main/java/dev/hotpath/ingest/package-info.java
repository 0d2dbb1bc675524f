/**
 * Writes: the order pipeline (OrderRequest, OrderPricing, OrderPayments, WriteTransaction),
 * customers, accepted jobs.
 */
@NullMarked
package dev.hotpath.ingest;

import org.jspecify.annotations.NullMarked;
