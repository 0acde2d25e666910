//! The ledger: products, orders with refunds, subscriptions and download grants. These give
//! customers their totals; the store folds them into [`crate::stats`] on every write.

use jiff::Timestamp;
use uuid::Uuid;

use crate::customer::{Address, CustomerId};
use crate::money::Currency;

/// The integer id of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(pub i64);

/// The integer id of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductId(pub i64);

/// An order's status, as WooCommerce names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderStatus {
    /// Awaiting payment.
    Pending,
    /// Paid, being fulfilled.
    Processing,
    /// Awaiting action (e.g. a bank transfer).
    OnHold,
    /// Paid and fulfilled.
    Completed,
    /// Cancelled before payment.
    Cancelled,
    /// Paid, then refunded in full.
    Refunded,
    /// Payment failed.
    Failed,
}

impl OrderStatus {
    /// Every status, in a fixed order ([`OrderStatus::index`]).
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Pending,
        OrderStatus::Processing,
        OrderStatus::OnHold,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::Refunded,
        OrderStatus::Failed,
    ];

    /// The slug: `pending`, `processing`, `on-hold`, `completed`, `cancelled`, `refunded`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Processing => "processing",
            Self::OnHold => "on-hold",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Refunded => "refunded",
            Self::Failed => "failed",
        }
    }

    /// The status named by `slug`.
    pub fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == slug)
    }

    /// Position in [`OrderStatus::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The statuses of orders that were paid and keep their payment: processing (paid,
    /// being fulfilled) and completed. WooCommerce's `wc_get_is_paid_statuses` and
    /// easycart's payments are these; a refunded order was paid but gave it back.
    pub const PAID: [OrderStatus; 2] = [OrderStatus::Processing, OrderStatus::Completed];

    /// Whether the status is one of [`OrderStatus::PAID`].
    pub fn is_paid(self) -> bool {
        Self::PAID.contains(&self)
    }
}

/// A subscription's status, as Stripe (and easycart) name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubscriptionStatus {
    /// `active`
    Active,
    /// `trialing`
    Trialing,
    /// `past_due`
    PastDue,
    /// `canceled`
    Canceled,
    /// `incomplete`
    Incomplete,
    /// `incomplete_expired`
    IncompleteExpired,
    /// `unpaid`
    Unpaid,
}

impl SubscriptionStatus {
    /// Every status, in a fixed order ([`SubscriptionStatus::index`]).
    pub const ALL: [SubscriptionStatus; 7] = [
        SubscriptionStatus::Active,
        SubscriptionStatus::Trialing,
        SubscriptionStatus::PastDue,
        SubscriptionStatus::Canceled,
        SubscriptionStatus::Incomplete,
        SubscriptionStatus::IncompleteExpired,
        SubscriptionStatus::Unpaid,
    ];

    /// The slug, `past_due`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Trialing => "trialing",
            Self::PastDue => "past_due",
            Self::Canceled => "canceled",
            Self::Incomplete => "incomplete",
            Self::IncompleteExpired => "incomplete_expired",
            Self::Unpaid => "unpaid",
        }
    }

    /// The status named by `slug`.
    pub fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == slug)
    }

    /// Position in [`SubscriptionStatus::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A downloadable file of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadFile {
    /// The file's id within its product (WooCommerce uses a UUID-like string).
    pub id: String,
    /// The file's name.
    pub name: String,
    /// Where it is downloaded from.
    pub url: String,
}

/// A product that orders and subscriptions refer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// The integer id.
    pub id: ProductId,
    /// The UUID (easycart's product filter).
    pub uuid: Uuid,
    /// The name.
    pub name: String,
    /// Downloadable files.
    pub files: Vec<DownloadFile>,
}

/// A new product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProduct {
    /// Chosen id.
    pub id: Option<ProductId>,
    /// Chosen UUID.
    pub uuid: Option<Uuid>,
    /// The name.
    pub name: String,
    /// Downloadable files.
    pub files: Vec<DownloadFile>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    /// The line's id.
    pub id: i64,
    /// The product bought, if it is known to the store.
    pub product_id: Option<ProductId>,
    /// The name as sold.
    pub name: String,
    /// How many.
    pub quantity: i64,
    /// Line total in minor units of the order's currency.
    pub total: i64,
}

/// A new order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLineItem {
    /// The product bought.
    pub product_id: Option<ProductId>,
    /// The name as sold.
    pub name: String,
    /// How many.
    pub quantity: i64,
    /// Line total in minor units.
    pub total: i64,
}

/// A refund against an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The refund's id.
    pub id: i64,
    /// The amount refunded, positive, in minor units of the order's currency.
    pub amount: i64,
    /// When it was refunded.
    pub created_at: Timestamp,
    /// Why.
    pub reason: String,
}

/// A new refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    /// The amount, positive, in minor units.
    pub amount: i64,
    /// When; `None` means now.
    pub created_at: Option<Timestamp>,
    /// Why.
    pub reason: String,
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The integer id.
    pub id: OrderId,
    /// The UUID.
    pub uuid: Uuid,
    /// The buyer.
    pub customer_id: CustomerId,
    /// Status.
    pub status: OrderStatus,
    /// Currency of every amount of the order.
    pub currency: Currency,
    /// Grand total, minor units.
    pub total: i64,
    /// Sum of lines before discounts, minor units.
    pub subtotal: i64,
    /// Tax, minor units.
    pub total_tax: i64,
    /// Shipping, minor units.
    pub shipping_total: i64,
    /// Discount, minor units.
    pub discount_total: i64,
    /// Payment method id (`bacs`, `stripe`).
    pub payment_method: String,
    /// Payment method title.
    pub payment_method_title: String,
    /// When it was placed.
    pub created_at: Timestamp,
    /// When it was paid.
    pub paid_at: Option<Timestamp>,
    /// When it was completed.
    pub completed_at: Option<Timestamp>,
    /// Billing address of the order.
    pub billing: Address,
    /// Shipping address of the order.
    pub shipping: Address,
    /// Lines.
    pub line_items: Vec<LineItem>,
    /// Refunds, oldest first.
    pub refunds: Vec<Refund>,
}

impl Order {
    /// Sum of the refunds, minor units.
    pub fn refunded_total(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }
}

/// A new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Chosen id.
    pub id: Option<OrderId>,
    /// Chosen UUID.
    pub uuid: Option<Uuid>,
    /// The buyer.
    pub customer_id: CustomerId,
    /// Status.
    pub status: OrderStatus,
    /// Currency.
    pub currency: Currency,
    /// Grand total.
    pub total: i64,
    /// Subtotal.
    pub subtotal: i64,
    /// Tax.
    pub total_tax: i64,
    /// Shipping.
    pub shipping_total: i64,
    /// Discount.
    pub discount_total: i64,
    /// Payment method id.
    pub payment_method: String,
    /// Payment method title.
    pub payment_method_title: String,
    /// When placed; `None` means now.
    pub created_at: Option<Timestamp>,
    /// When paid.
    pub paid_at: Option<Timestamp>,
    /// When completed.
    pub completed_at: Option<Timestamp>,
    /// Billing address.
    pub billing: Address,
    /// Shipping address.
    pub shipping: Address,
    /// Lines.
    pub line_items: Vec<NewLineItem>,
    /// Refunds.
    pub refunds: Vec<NewRefund>,
}

/// A subscription of a customer to a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The integer id.
    pub id: i64,
    /// The UUID.
    pub uuid: Uuid,
    /// The subscriber.
    pub customer_id: CustomerId,
    /// The product subscribed to.
    pub product_id: ProductId,
    /// Status.
    pub status: SubscriptionStatus,
    /// Currency it is billed in.
    pub currency: Currency,
    /// When it started.
    pub created_at: Timestamp,
}

/// A new subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    /// Chosen UUID.
    pub uuid: Option<Uuid>,
    /// The subscriber.
    pub customer_id: CustomerId,
    /// The product.
    pub product_id: ProductId,
    /// Status.
    pub status: SubscriptionStatus,
    /// Currency.
    pub currency: Currency,
    /// When it started; `None` means now.
    pub created_at: Option<Timestamp>,
}

/// Permission for a customer to download one file of a product bought in an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadGrant {
    /// The grant's id.
    pub id: i64,
    /// The file's id within the product.
    pub download_id: String,
    /// Who may download.
    pub customer_id: CustomerId,
    /// The order that granted it.
    pub order_id: OrderId,
    /// The product of the file.
    pub product_id: ProductId,
    /// Downloads left; `None` is unlimited.
    pub downloads_remaining: Option<i64>,
    /// When access ends; `None` is never.
    pub access_expires: Option<Timestamp>,
    /// How many times the file was downloaded.
    pub download_count: i64,
}

/// A new download grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDownloadGrant {
    /// The file's id within the product.
    pub download_id: String,
    /// Who may download.
    pub customer_id: CustomerId,
    /// The order.
    pub order_id: OrderId,
    /// The product.
    pub product_id: ProductId,
    /// Downloads left; `None` is unlimited.
    pub downloads_remaining: Option<i64>,
    /// When access ends.
    pub access_expires: Option<Timestamp>,
    /// Downloads so far.
    pub download_count: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_slugs_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            assert_eq!(OrderStatus::ALL[status.index()], status);
        }
        for status in SubscriptionStatus::ALL {
            assert_eq!(SubscriptionStatus::parse(status.as_str()), Some(status));
            assert_eq!(SubscriptionStatus::ALL[status.index()], status);
        }
        assert_eq!(OrderStatus::parse("on_hold"), None);
    }
}
