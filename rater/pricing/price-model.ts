/**
 * One interface for every price model (one module per model, Lago-style): given
 * the running quantity before an event and the event's quantity, the marginal
 * amount the event adds. Marginal pricing lets graduated tiers (later models)
 * price each event at its own rate while streaming.
 */
export interface PriceInput {
  /** Quantity of this customer, meter and period before this event, nano-units. */
  quantityBeforeNanos: bigint;
  /** This event's quantity, nano-units. */
  quantityNanos: bigint;
}

export interface PriceModel<Params> {
  readonly name: string;
  /** Amount this event adds, in micro-units of the price's currency. */
  marginalAmountMicros(params: Params, input: PriceInput): bigint;
}
