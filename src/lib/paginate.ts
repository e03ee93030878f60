import type { SQL } from "drizzle-orm";
import {
  CURSOR_KEY,
  type KeysetOrder,
  keysetPage,
  offsetPage,
  orderTerms,
  type PageRequest,
  type PageResult,
} from "./pagination";

export interface PaginateOptions<Row> {
  request: PageRequest;
  secret: string;
  scope: string;
  order: KeysetOrder;
  count: () => Promise<number>;
  /** Rows for one page: `where` is the keyset bound (undefined in offset mode or page one). */
  rows: (parts: {
    where: SQL | undefined;
    orderBy: SQL[];
    limit: number;
    offset: number;
    cursorKey: SQL<unknown> | undefined;
  }) => Promise<(Row & { [CURSOR_KEY]?: unknown })[]>;
}

/** One admin list page in either mode: keyset by default, offset when `page` was asked for. */
export function paginate<Row>(opts: PaginateOptions<Row>): Promise<PageResult<Row>> {
  const { request, order } = opts;
  if (request.mode === "offset") {
    const orderBy = orderTerms([...order.by, order.id], order.direction ?? "desc");
    return offsetPage<Row>({
      page: request.page,
      perPage: request.perPage,
      count: opts.count,
      query: async ({ limit, offset }) =>
        opts.rows({
          where: undefined,
          orderBy,
          limit,
          offset,
          cursorKey: undefined,
        }) as Promise<Row[]>,
    });
  }
  return keysetPage({
    limit: request.limit,
    cursor: request.cursor,
    secret: opts.secret,
    scope: opts.scope,
    order: opts.order,
    query: ({ where, orderBy, limit, cursorKey }) =>
      opts.rows({ where, orderBy, limit, offset: 0, cursorKey }) as Promise<
        (Row & { [CURSOR_KEY]: unknown })[]
      >,
  }) as Promise<PageResult<Row>>;
}
