package io.regent.registry.rest.dto;

import java.util.List;

/**
 * One page of a list.
 *
 * @param items the page's items
 * @param page  zero-based page index
 * @param size  requested page size
 * @param total items in all pages
 */
public record PageResponse<T>(List<T> items, int page, int size, long total) {
}
