//! SIPAS views: plain view structs in, HTML out ([maud]). Nothing here touches a database
//! or HTTP; the web layer builds the structs, calls a view and serves the markup.
//!
//! - [`survey::survey_form`]: the questionnaire a citizen reaches from a QR code.
//! - [`pages`]: thank you, already answered, not found, error.
//! - [`poster::poster_page`]: the printable A4 poster of a desk's QR code.
//! - [`qr`]: QR codes as inline SVG and PNG.
//!
//! Every citizen page is Vietnamese first with an English version ([`Lang`]), works without
//! JavaScript, makes no request besides its own HTML (CSS inline, system fonts), and stays
//! small enough for 3G.

pub mod api_docs;
pub mod home;
pub mod i18n;
pub mod layout;
pub mod pages;
pub mod poster;
pub mod qr;
pub mod survey;

pub use i18n::Lang;
pub use pages::{
    AlreadyAnsweredPage, ErrorPage, NotFoundPage, ThanksPage, already_answered_page, error_page,
    not_found_page, thanks_page,
};
pub use poster::{PosterPage, poster_page};
pub use qr::{QrError, qr_png, qr_svg};
pub use survey::{CriterionView, ElementView, SurveyForm, survey_form};
