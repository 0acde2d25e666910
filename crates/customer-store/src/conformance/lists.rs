//! Customer lists: every filter, search and sort, pages and exact totals.

use super::*;

struct ListFixture {
    ann: i64,
    bob: i64,
    cat: i64,
    dan: i64,
    product: ProductId,
}

async fn list_fixture(store: &Store) -> ListFixture {
    let mut ann = registered("ann@example.com", "ann");
    ann.first_name = "Ann".into();
    ann.last_name = "Zeta".into();
    ann.created_at = Some(at(1, 0));
    let ann = store.create_customer(ann).await.unwrap().id.0;
    let mut bob = registered("bob@example.org", "bobby");
    bob.account.as_mut().unwrap().role = Role::Subscriber;
    bob.additional_emails = vec![email("robert@work.example.net")];
    bob.display_name = Some("Robert 50% Off".into());
    bob.created_at = Some(at(2, 0));
    bob.shipping.city = "Gdańsk".into();
    let bob = store.create_customer(bob).await.unwrap().id.0;
    let mut cat = guest("cat@example.com");
    cat.first_name = "Cat".into();
    cat.billing.phone = "+1 555 0100".into();
    cat.billing.city = "Zürich".into();
    cat.created_at = Some(at(3, 0));
    let cat = store.create_customer(cat).await.unwrap().id.0;
    let mut dan = guest("dan@example.com");
    dan.created_at = Some(at(4, 0));
    let dan = store.create_customer(dan).await.unwrap().id.0;

    let product = store.create_product(product("widget")).await.unwrap().id;
    let mut bought = order(
        CustomerId(bob),
        "EUR",
        OrderStatus::Completed,
        900,
        at(10, 0),
    );
    bought.line_items[0].product_id = Some(product);
    store.create_order(bought).await.unwrap();
    store
        .create_order(order(
            CustomerId(cat),
            "USD",
            OrderStatus::Pending,
            100,
            at(5, 0),
        ))
        .await
        .unwrap();
    store
        .create_order(order(
            CustomerId(cat),
            "EUR",
            OrderStatus::Processing,
            200,
            at(20, 0),
        ))
        .await
        .unwrap();
    store
        .create_subscription(NewSubscription {
            uuid: None,
            customer_id: CustomerId(dan),
            product_id: product,
            status: SubscriptionStatus::PastDue,
            currency: customer_model::Currency::parse("USD").unwrap(),
            created_at: Some(at(6, 0)),
        })
        .await
        .unwrap();
    ListFixture {
        ann,
        bob,
        cat,
        dan,
        product,
    }
}

/// Every filter alone, and combinations of them, with exact totals.
pub async fn list_filters_each_and_combined(store: Store) {
    let f = list_fixture(&store).await;
    let (ann, bob, cat, dan) = (f.ann, f.bob, f.cat, f.dan);
    let usd = customer_model::Currency::parse("usd").unwrap();
    let eur = customer_model::Currency::parse("EUR").unwrap();
    let cases: Vec<(&str, CustomerFilter, Vec<i64>)> = vec![
        (
            "everyone",
            CustomerFilter::default(),
            vec![ann, bob, cat, dan],
        ),
        (
            "registered",
            CustomerFilter {
                accounts: AccountFilter::Registered,
                ..CustomerFilter::default()
            },
            vec![ann, bob],
        ),
        (
            "guests",
            CustomerFilter {
                accounts: AccountFilter::Guests,
                ..CustomerFilter::default()
            },
            vec![cat, dan],
        ),
        (
            "role",
            CustomerFilter {
                role: Some(Role::Subscriber),
                ..CustomerFilter::default()
            },
            vec![bob],
        ),
        (
            "primary email in another case",
            CustomerFilter {
                email: Some("BOB@example.ORG".into()),
                ..CustomerFilter::default()
            },
            vec![bob],
        ),
        (
            "email ignores additional addresses",
            CustomerFilter {
                email: Some("robert@work.example.net".into()),
                ..CustomerFilter::default()
            },
            vec![],
        ),
        (
            "any email finds additional addresses",
            CustomerFilter {
                any_email: Some("Robert@Work.Example.Net".into()),
                ..CustomerFilter::default()
            },
            vec![bob],
        ),
        (
            "include",
            CustomerFilter {
                include: vec![CustomerId(dan), CustomerId(ann), CustomerId(9999)],
                ..CustomerFilter::default()
            },
            vec![ann, dan],
        ),
        (
            "exclude",
            CustomerFilter {
                exclude: vec![CustomerId(ann), CustomerId(cat)],
                ..CustomerFilter::default()
            },
            vec![bob, dan],
        ),
        (
            "created range, both ends inclusive",
            CustomerFilter {
                created: TimeRange {
                    from: Some(at(2, 0)),
                    to: Some(at(3, 0)),
                },
                ..CustomerFilter::default()
            },
            vec![bob, cat],
        ),
        (
            "created range beyond the stored years selects as its ends would",
            CustomerFilter {
                created: TimeRange {
                    from: Some("0222-01-01T00:00:00Z".parse().unwrap()),
                    to: Some("9000-01-01T00:00:00Z".parse().unwrap()),
                },
                ..CustomerFilter::default()
            },
            vec![ann, bob, cat, dan],
        ),
        (
            "ordered after a bound beyond the stored years",
            CustomerFilter {
                ordered: TimeRange {
                    from: Some("9000-01-01T00:00:00Z".parse().unwrap()),
                    to: None,
                },
                ..CustomerFilter::default()
            },
            vec![],
        ),
        (
            "modified since",
            CustomerFilter {
                modified: TimeRange {
                    from: Some(at(4, 0)),
                    to: None,
                },
                ..CustomerFilter::default()
            },
            vec![dan],
        ),
        (
            "currency",
            CustomerFilter {
                currency: Some(eur),
                ..CustomerFilter::default()
            },
            vec![bob, cat],
        ),
        (
            "ordered within",
            CustomerFilter {
                ordered: TimeRange {
                    from: Some(at(4, 0)),
                    to: Some(at(11, 0)),
                },
                ..CustomerFilter::default()
            },
            vec![bob, cat],
        ),
        (
            "ordered within, in a currency",
            CustomerFilter {
                currency: Some(usd),
                ordered: TimeRange {
                    from: Some(at(4, 0)),
                    to: Some(at(11, 0)),
                },
                ..CustomerFilter::default()
            },
            vec![cat],
        ),
        (
            "ordered in a currency outside the range",
            CustomerFilter {
                currency: Some(eur),
                ordered: TimeRange {
                    from: None,
                    to: Some(at(9, 0)),
                },
                ..CustomerFilter::default()
            },
            vec![],
        ),
        (
            "product",
            CustomerFilter {
                product: Some(f.product),
                ..CustomerFilter::default()
            },
            vec![bob],
        ),
        (
            "subscription status",
            CustomerFilter {
                subscription_status: Some(SubscriptionStatus::PastDue),
                ..CustomerFilter::default()
            },
            vec![dan],
        ),
        (
            "no subscription in that status",
            CustomerFilter {
                subscription_status: Some(SubscriptionStatus::Active),
                ..CustomerFilter::default()
            },
            vec![],
        ),
        (
            "guests with EUR orders",
            CustomerFilter {
                accounts: AccountFilter::Guests,
                currency: Some(eur),
                ..CustomerFilter::default()
            },
            vec![cat],
        ),
        (
            "registered, created from day 2, not bob",
            CustomerFilter {
                accounts: AccountFilter::Registered,
                created: TimeRange {
                    from: Some(at(2, 0)),
                    to: None,
                },
                exclude: vec![CustomerId(bob)],
                ..CustomerFilter::default()
            },
            vec![],
        ),
        (
            "include with a search",
            CustomerFilter {
                include: vec![CustomerId(ann), CustomerId(cat)],
                search: vec![TextSearch {
                    term: "example.com".into(),
                    fields: vec![SearchField::Email],
                    match_id: false,
                }],
                ..CustomerFilter::default()
            },
            vec![ann, cat],
        ),
    ];
    for (name, filter, expected) in cases {
        assert_eq!(ids_matching(&store, filter).await, expected, "{name}");
    }
}

/// Substring searches: literal, case-insensitive, per field, OR across fields, AND
/// across searches; short terms and ids too.
pub async fn list_searches_substrings(store: Store) {
    let f = list_fixture(&store).await;
    let (ann, bob, cat, dan) = (f.ann, f.bob, f.cat, f.dan);
    let search = |term: &str, fields: &[SearchField], match_id: bool| TextSearch {
        term: term.into(),
        fields: fields.to_vec(),
        match_id,
    };
    let all = &SearchField::ALL;
    let cases: Vec<(Vec<TextSearch>, Vec<i64>)> = vec![
        (vec![search("EXAMPLE.COM", all, false)], vec![ann, cat, dan]),
        (
            vec![search("example.com", &[SearchField::Email], false)],
            vec![ann, cat, dan],
        ),
        (
            vec![search(
                "work.example",
                &[SearchField::AdditionalEmails],
                false,
            )],
            vec![bob],
        ),
        (
            vec![search("work.example", &[SearchField::Email], false)],
            vec![],
        ),
        (vec![search("zet", &[SearchField::Names], false)], vec![ann]),
        (
            vec![search("bobb", &[SearchField::Username], false)],
            vec![bob],
        ),
        (
            vec![search("50% o", &[SearchField::DisplayName], false)],
            vec![bob],
        ),
        (
            vec![search("%", &[SearchField::DisplayName], false)],
            vec![bob],
        ),
        (vec![search("0%", all, false)], vec![bob]),
        (vec![search("_", all, false)], vec![]),
        // A NUL character: no stored value holds one, and no backend may fail on it.
        (vec![search("zet\0", all, false)], vec![]),
        (vec![search("z\0", all, false)], vec![]),
        (
            vec![search("555 01", &[SearchField::Billing], false)],
            vec![cat],
        ),
        (
            vec![search("zürich", &[SearchField::Billing], false)],
            vec![cat],
        ),
        (
            vec![search("GDAŃ", &[SearchField::Shipping], false)],
            vec![bob],
        ),
        (vec![search("gdań", &[SearchField::Billing], false)], vec![]),
        (vec![search("an", &[SearchField::Names], false)], vec![ann]),
        (
            vec![search(
                "N",
                &[SearchField::Names, SearchField::Username],
                false,
            )],
            vec![ann],
        ),
        (
            vec![search(
                "o",
                &[SearchField::Email, SearchField::Names],
                false,
            )],
            vec![ann, bob, cat, dan],
        ),
        (
            vec![search(&cat.to_string(), &[SearchField::Names], true)],
            vec![cat],
        ),
        (
            vec![search(&cat.to_string(), &[SearchField::Names], false)],
            vec![],
        ),
        (
            vec![
                search("example", all, false),
                search("a", &[SearchField::Names], false),
            ],
            vec![ann, cat],
        ),
        (
            vec![search("example.com", all, false), search("bob", all, false)],
            vec![],
        ),
        (vec![search("", all, false)], vec![ann, bob, cat, dan]),
        (vec![search("anything", &[], false)], vec![]),
    ];
    for (searches, expected) in cases {
        let filter = CustomerFilter {
            search: searches.clone(),
            ..CustomerFilter::default()
        };
        assert_eq!(ids_matching(&store, filter).await, expected, "{searches:?}");
    }
    // A search sees changes made after the customer was created.
    store
        .update_customer(
            CustomerId(dan),
            CustomerPatch {
                last_name: Some("Quixote".into()),
                ..CustomerPatch::default()
            },
        )
        .await
        .unwrap();
    let filter = CustomerFilter {
        search: vec![search("quix", &[SearchField::Names], false)],
        ..CustomerFilter::default()
    };
    assert_eq!(ids_matching(&store, filter).await, vec![dan]);
}

/// Every sort key in both directions, id as tie-break, pages and totals.
pub async fn list_sorts_and_pages(store: Store) {
    let f = list_fixture(&store).await;
    let (ann, bob, cat, dan) = (f.ann, f.bob, f.cat, f.dan);
    let sorted = |sort, direction, filter: CustomerFilter| CustomerQuery {
        filter,
        sort,
        direction,
        page: PageRequest {
            offset: 0,
            limit: None,
        },
    };
    use SortDirection::{Ascending as Asc, Descending as Desc};
    let none = CustomerFilter::default;
    let eur = customer_model::Currency::parse("EUR").unwrap();
    let cases: Vec<(CustomerQuery, Vec<i64>)> = vec![
        (sorted(SortKey::Id, Asc, none()), vec![ann, bob, cat, dan]),
        (sorted(SortKey::Id, Desc, none()), vec![dan, cat, bob, ann]),
        // Display names: "ann", "Robert 50% Off", "Cat", "dan@example.com"; case ignored.
        (
            sorted(SortKey::DisplayName, Asc, none()),
            vec![ann, cat, dan, bob],
        ),
        (
            sorted(SortKey::DisplayName, Desc, none()),
            vec![bob, dan, cat, ann],
        ),
        // Guests sort as an empty username, ties by id.
        (
            sorted(SortKey::Username, Asc, none()),
            vec![cat, dan, ann, bob],
        ),
        (
            sorted(SortKey::Username, Desc, none()),
            vec![bob, ann, dan, cat],
        ),
        (
            sorted(SortKey::Created, Desc, none()),
            vec![dan, cat, bob, ann],
        ),
        (
            sorted(SortKey::Modified, Asc, none()),
            vec![ann, bob, cat, dan],
        ),
        // Without orders first when ascending: ann and dan (by id), then bob (day 10),
        // cat (day 20).
        (
            sorted(SortKey::LastOrder, Asc, none()),
            vec![ann, dan, bob, cat],
        ),
        (
            sorted(SortKey::LastOrder, Desc, none()),
            vec![cat, bob, dan, ann],
        ),
        (
            sorted(
                SortKey::LastOrder,
                Asc,
                CustomerFilter {
                    currency: Some(eur),
                    ..CustomerFilter::default()
                },
            ),
            vec![bob, cat],
        ),
        (
            sorted(
                SortKey::IncludeOrder,
                Asc,
                CustomerFilter {
                    include: vec![CustomerId(cat), CustomerId(ann), CustomerId(dan)],
                    ..CustomerFilter::default()
                },
            ),
            vec![cat, ann, dan],
        ),
        (
            sorted(
                SortKey::IncludeOrder,
                Desc,
                CustomerFilter {
                    include: vec![CustomerId(cat), CustomerId(ann), CustomerId(dan)],
                    ..CustomerFilter::default()
                },
            ),
            vec![dan, ann, cat],
        ),
    ];
    for (q, expected) in cases {
        assert_eq!(
            ids_of(&store, &q).await,
            expected,
            "{:?} {:?}",
            q.sort,
            q.direction
        );
    }
    // Paging: pages of two over four, and past the end; the total stays exact.
    for (page, expected) in [(1, vec![ann, bob]), (2, vec![cat, dan]), (3, vec![])] {
        let q = CustomerQuery {
            page: PageRequest::page(page, 2),
            ..CustomerQuery::default()
        };
        let listed = store.list_customers(&q).await.unwrap();
        assert_eq!(listed.total, 4);
        let ids: Vec<i64> = listed.items.iter().map(|r| r.customer.id.0).collect();
        assert_eq!(ids, expected, "page {page}");
    }
    let q = CustomerQuery {
        filter: CustomerFilter {
            accounts: AccountFilter::Guests,
            ..CustomerFilter::default()
        },
        page: PageRequest {
            offset: 1,
            limit: Some(10),
        },
        ..CustomerQuery::default()
    };
    let listed = store.list_customers(&q).await.unwrap();
    assert_eq!(listed.total, 2);
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].customer.id.0, dan);
    assert_eq!(
        listed.items[0].stats.subscriptions[SubscriptionStatus::PastDue.index()],
        1
    );
}

/// A term as long as the longest value finds it; a longer one finds nothing, in any
/// field and in combination with any other filter. A long term matches as a whole,
/// whatever part of it a backend asks its index for.
pub async fn search_terms_longer_than_any_value_match_nothing(store: Store) {
    let mut longest = registered("longest@example.com", "longest");
    longest.first_name = "n".repeat(limits::NAME_CHARS);
    let longest = store.create_customer(longest).await.unwrap();
    let search = |term: String| CustomerFilter {
        search: vec![TextSearch {
            term,
            fields: SearchField::ALL.to_vec(),
            match_id: false,
        }],
        ..CustomerFilter::default()
    };
    let fits = "n".repeat(limits::SEARCH_TERM_CHARS);
    assert_eq!(
        ids_matching(&store, search(fits.clone())).await,
        vec![longest.id.0]
    );
    let too_long = format!("{fits}n");
    assert!(
        ids_matching(&store, search(too_long.clone()))
            .await
            .is_empty()
    );
    let mut with_role = search(too_long);
    with_role.role = Some(Role::Customer);
    assert!(ids_matching(&store, with_role).await.is_empty());

    // Long terms share a beginning; only the whole term decides, ignoring letter case.
    let mut first = guest("prefix-one@example.com");
    first.last_name = "Abcdefghijklmnopqrstuvwxyz Żółw".into();
    let first = store.create_customer(first).await.unwrap();
    let mut second = guest("prefix-two@example.com");
    second.billing.city = "abcdefghijklmnopqrstuvwxyZ".into();
    let second = store.create_customer(second).await.unwrap();
    let mut third = guest("prefix-three@example.com");
    third.last_name = "abcdefghijklmnopqrstuvWXY!".into();
    store.create_customer(third).await.unwrap();
    assert_eq!(
        ids_matching(&store, search("ABCDEFGHIJKLMNOPQRSTUVWXYZ".into())).await,
        vec![first.id.0, second.id.0]
    );
    assert_eq!(
        ids_matching(&store, search("klmnopqrstuvwxyz żółw".into())).await,
        vec![first.id.0]
    );
    let names_only = CustomerFilter {
        search: vec![TextSearch {
            term: "abcdefghijklmnopqrstuvwxyz".into(),
            fields: vec![SearchField::Names],
            match_id: false,
        }],
        ..CustomerFilter::default()
    };
    assert_eq!(ids_matching(&store, names_only).await, vec![first.id.0]);
}
