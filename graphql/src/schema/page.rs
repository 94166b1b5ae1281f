//! What every connection shares.

use async_graphql::SimpleObject;

/// Where a page ends and whether more follows.
#[derive(SimpleObject, Debug, Clone, PartialEq, Eq)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}
