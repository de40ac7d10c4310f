//! sea-orm entities, one per table of the `migration` crate.

pub mod setting;
pub mod unit_type;
pub mod par_points;
pub mod unit;
pub mod service_point;
pub mod questionnaire;
pub mod questionnaire_element;
pub mod questionnaire_criterion;
pub mod campaign;
pub mod frame;
pub mod quota;
pub mod receipt;
pub mod response;
pub mod api_client;
pub mod user;
pub mod audit_event;
