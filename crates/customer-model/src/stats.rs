//! Aggregates the store keeps per customer and currency, updated in the same transaction
//! as every ledger write. Dialects differ in what they count (WooCommerce's paid statuses,
//! EDD's gross and net statuses, easycart's completed orders and net value), so the store
//! keeps per-status figures and each dialect picks its own definition from them.

use jiff::Timestamp;

use crate::ledger::{OrderId, OrderStatus, SubscriptionStatus};
use crate::money::Currency;

/// Count and sums of a customer's orders in one status and currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusTotals {
    /// Number of orders.
    pub orders: i64,
    /// Sum of their totals, minor units.
    pub total: i64,
    /// Sum of their refunds, minor units.
    pub refunded: i64,
}

/// An order by id and placement instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderRef {
    /// The order.
    pub id: OrderId,
    /// When it was placed.
    pub at: Timestamp,
}

/// A customer's figures in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyStats {
    /// The currency.
    pub currency: Currency,
    /// Figures per order status, indexed by [`OrderStatus::index`].
    pub by_status: [StatusTotals; 7],
    /// The earliest order in this currency (any status).
    pub first_order: Option<OrderRef>,
    /// The latest order in this currency (any status).
    pub last_order: Option<OrderRef>,
}

impl CurrencyStats {
    /// Empty figures for `currency`.
    pub fn empty(currency: Currency) -> Self {
        Self {
            currency,
            by_status: [StatusTotals::default(); 7],
            first_order: None,
            last_order: None,
        }
    }

    /// Figures of one status.
    pub fn status(&self, status: OrderStatus) -> StatusTotals {
        self.by_status[status.index()]
    }

    /// Number of orders in any of `statuses`.
    pub fn orders_in(&self, statuses: &[OrderStatus]) -> i64 {
        statuses.iter().map(|s| self.status(*s).orders).sum()
    }

    /// Sum of totals of orders in any of `statuses`.
    pub fn total_in(&self, statuses: &[OrderStatus]) -> i64 {
        statuses.iter().map(|s| self.status(*s).total).sum()
    }

    /// Sum of refunds on orders in any of `statuses`.
    pub fn refunded_in(&self, statuses: &[OrderStatus]) -> i64 {
        statuses.iter().map(|s| self.status(*s).refunded).sum()
    }

    /// Number of orders in any status.
    pub fn orders(&self) -> i64 {
        self.orders_in(&OrderStatus::ALL)
    }

    /// Whether the customer has paid at least once in this currency (an order in
    /// [`OrderStatus::PAID`]).
    pub fn is_paying(&self) -> bool {
        self.orders_in(&OrderStatus::PAID) > 0
    }

    /// The sum of totals of paid orders ([`OrderStatus::PAID`]), refunds not subtracted.
    pub fn paid_total(&self) -> i64 {
        self.total_in(&OrderStatus::PAID)
    }
}

/// All aggregates of one customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerStats {
    /// Figures per currency the customer ordered in, ordered by currency code.
    pub currencies: Vec<CurrencyStats>,
    /// Number of subscriptions per status, indexed by [`SubscriptionStatus::index`].
    pub subscriptions: [i64; 7],
    /// Sum of download counts over the customer's download grants.
    pub download_count: i64,
}

impl CustomerStats {
    /// Figures in `currency`, if the customer ordered in it.
    pub fn currency(&self, currency: Currency) -> Option<&CurrencyStats> {
        self.currencies.iter().find(|c| c.currency == currency)
    }

    /// Number of subscriptions that are not canceled.
    pub fn live_subscriptions(&self) -> i64 {
        SubscriptionStatus::ALL
            .iter()
            .filter(|s| **s != SubscriptionStatus::Canceled)
            .map(|s| self.subscriptions[s.index()])
            .sum()
    }

    /// Whether the customer paid in any currency.
    pub fn is_paying(&self) -> bool {
        self.currencies.iter().any(CurrencyStats::is_paying)
    }

    /// The latest order over all currencies.
    pub fn last_order(&self) -> Option<OrderRef> {
        self.currencies
            .iter()
            .filter_map(|c| c.last_order)
            .max_by_key(|o| (o.at, o.id))
    }
}
