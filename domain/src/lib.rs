//! The SIPAS domain core. It knows nothing of HTTP or of the database: storage and
//! the web layer convert to and from these types at their edges.

pub mod access;
pub mod audit;
pub mod campaign;
pub mod import;
pub mod network;
pub mod questionnaire;
pub mod quota;
pub mod reference;
pub mod screening;
pub mod statistics;
pub mod text;
pub mod token;
pub mod unit;
pub mod webhook;
