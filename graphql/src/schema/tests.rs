//! Tests of the schema through `schema.execute`, without HTTP.
