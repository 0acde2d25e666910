//! The six OpenAPI documents as snapshots: a change to a parameter table, a field list or
//! an error catalogue shows up here as a change of the published contract, for review.

use customer_wire::Dialect;

#[test]
fn every_document_is_reviewed() {
    for dialect in Dialect::ALL {
        insta::assert_json_snapshot!(format!("openapi-{}", dialect.slug()), dialect.openapi());
    }
}
