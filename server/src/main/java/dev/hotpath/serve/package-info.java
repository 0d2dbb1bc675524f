/**
 * Reads: one indexed query through store's Statements, answered from the response cache where it
 * can.
 */
@NullMarked
package dev.hotpath.serve;

import org.jspecify.annotations.NullMarked;
