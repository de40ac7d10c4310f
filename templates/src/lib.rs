//! SIPAS views: plain view structs in, HTML out ([maud]). Nothing here touches a database
//! or HTTP; the web layer builds the structs, calls a view and serves the markup.
//!
//! - [`survey::survey_form`]: the questionnaire a citizen reaches from a QR code.
//! - [`pages`]: thank you, already answered, survey code not found, error, and
//!   [`page_not_found`], the 404 of any other path.
//! - [`home::page`], [`api_docs::page`]: the front page and the index of the HTTP API.
//! - [`poster::poster_page`]: the printable A4 poster of a desk's QR code.
//! - [`qr`]: QR codes as inline SVG and PNG.
//!
//! Every page is built by [`layout::page`] (one shell: header bar, language switch, demo
//! banner, footer) from small [`maud::Render`] components. Pages are Vietnamese first with
//! an English version ([`Lang`]), work without JavaScript, make no request besides their
//! own HTML (CSS inline, system fonts), and stay small enough for 3G.

pub mod api_docs;
pub mod charts;
pub mod format;
pub mod home;
pub mod i18n;
pub mod layout;
pub mod pages;
pub mod poster;
pub mod qr;
pub mod staff;
pub mod survey;

pub use i18n::Lang;
pub use pages::{
    AlreadyAnsweredPage, ErrorPage, NotFoundPage, ThanksPage, already_answered_page, error_page,
    not_found_page, page_not_found, thanks_page,
};
pub use poster::{PosterPage, poster_page};
pub use qr::{QrError, qr_png, qr_svg};
pub use survey::{CriterionView, ElementView, SurveyForm, survey_form};
