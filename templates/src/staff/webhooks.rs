//! The administrators' webhooks page (`/manage/webhooks`): the endpoints the index
//! engine registered, a form to add one (its secret shown once), and the latest
//! deliveries with their answers and a resend button.

use maud::{Markup, html};

use super::StaffNav;
use super::admin::shell;
use super::form::{ErrorSummary, FieldProblem, described_by, field_errors};
use crate::Lang;
use crate::layout::{Card, Column, Table, Tone};

pub const PATH: &str = "/manage/webhooks";

/// One registered endpoint.
#[derive(Debug, Clone)]
pub struct EndpointLine {
    pub id: i32,
    pub url: String,
    pub created: String,
    pub created_by: String,
}

/// One delivery of an event to an endpoint.
#[derive(Debug, Clone)]
pub struct DeliveryLine {
    pub id: i64,
    /// `snapshot.published`, …
    pub kind: String,
    /// The campaign and snapshot version the event is about (`DEMO-2026 · v1`).
    pub about: String,
    pub url: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub next_attempt: Option<String>,
    pub response_status: Option<i32>,
    /// The start of the last answer, or the error.
    pub snippet: Option<String>,
    pub last_attempt: Option<String>,
    pub can_resend: bool,
}

#[derive(Debug, Clone)]
pub enum WebhookNotice {
    Created { url: String, secret: String },
    Deleted { url: String },
    Resent { id: i64 },
    Refused(String),
}

#[derive(Debug, Clone, Default)]
pub struct WebhooksView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub endpoints: Vec<EndpointLine>,
    pub deliveries: Vec<DeliveryLine>,
    /// The new-endpoint form as sent.
    pub url: String,
    pub errors: Vec<FieldProblem>,
    pub notice: Option<WebhookNotice>,
}

fn status_badge(lang: Lang, status: &str) -> Markup {
    let vi = lang == Lang::Vi;
    let (class, icon, text) = match status {
        "delivered" => ("s-met", "✔", if vi { "Đã gửi" } else { "Delivered" }),
        "failed" => ("s-at_risk", "✖", if vi { "Thất bại" } else { "Failed" }),
        _ => ("s-behind", "…", if vi { "Đang chờ gửi" } else { "Pending" }),
    };
    html! { span class={ "badge " (class) } { span aria-hidden="true" { (icon) " " } (text) } }
}

pub fn page(view: &WebhooksView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let title = if vi {
        "Webhook — SIPAS"
    } else {
        "Webhooks — SIPAS"
    };
    let q = format!("?lang={}", lang.code());
    let notice = view.notice.as_ref().map(|n| match n {
        WebhookNotice::Created { url, secret } => html! {
            (Card::toned(Tone::Ok, html! {
                h2 #secret-heading { (if vi { format!("Đã thêm điểm nhận {url}. Khóa bí mật:") } else { format!("Endpoint {url} added. Its secret:") }) }
                p role="status" {
                    (if vi {
                        "Sao chép ngay và trao cho hệ thống nhận qua kênh an toàn: hệ thống đó dùng khóa này để kiểm tra chữ ký (webhook-signature) của mỗi thông báo. Khóa sẽ không hiển thị lại."
                    } else {
                        "Copy it now and hand it to the receiving system safely: it checks each notification's signature (webhook-signature) with it. It will not be shown again."
                    })
                }
                code.secret aria-labelledby="secret-heading" { (secret) }
            }))
        },
        WebhookNotice::Deleted { url } => html! {
            (Card::toned(Tone::Ok, html! { p.cap role="status" {
                (if vi { format!("Đã gỡ điểm nhận {url}: không gửi thêm thông báo nào tới đó.") }
                 else { format!("Endpoint {url} removed: nothing more is sent to it.") })
            } }))
        },
        WebhookNotice::Resent { id } => html! {
            (Card::toned(Tone::Ok, html! { p.cap role="status" {
                (if vi { format!("Lần gửi số {id} được gửi lại ngay.") } else { format!("Delivery {id} is being sent again now.") })
            } }))
        },
        WebhookNotice::Refused(why) => html! {
            (Card::toned(Tone::Err, html! { p.cap role="alert" { (why) } }))
        },
    });
    let endpoint_columns = [
        Column::text(if vi {
            "Địa chỉ nhận"
        } else {
            "Endpoint URL"
        }),
        Column::text(if vi { "Ngày thêm" } else { "Added" }),
        Column::text(if vi { "Người thêm" } else { "Added by" }),
        Column::text(if vi { "Thao tác" } else { "Actions" }),
    ];
    let endpoint_rows = view
        .endpoints
        .iter()
        .map(|e| {
            vec![
                html! { span.raw style="overflow-wrap:anywhere" { (e.url) } },
                html! { span.when { (e.created) } },
                html! { (e.created_by) },
                html! {
                    a href={ (PATH) "/" (e.id) "/delete" (q) } aria-label=(if vi { format!("Gỡ điểm nhận {}", e.url) } else { format!("Remove endpoint {}", e.url) }) {
                        (if vi { "Gỡ…" } else { "Remove…" })
                    }
                },
            ]
        })
        .collect();
    let delivery_columns = [
        Column::text(if vi { "Sự kiện" } else { "Event" }),
        Column::text(if vi { "Điểm nhận" } else { "Endpoint" }),
        Column::text(if vi { "Trạng thái" } else { "Status" }),
        Column::num(if vi { "Số lần thử" } else { "Attempts" }),
        Column::text(if vi {
            "Lần thử tới"
        } else {
            "Next attempt"
        }),
        Column::text(if vi {
            "Phản hồi cuối"
        } else {
            "Last answer"
        }),
        Column::text(if vi {
            "Lần thử cuối"
        } else {
            "Last attempt"
        }),
        Column::text(if vi { "Thao tác" } else { "Actions" }),
    ];
    let dash = "—";
    let delivery_rows = view
        .deliveries
        .iter()
        .map(|d| {
            vec![
                html! { (d.kind) br; span.raw { (d.about) } },
                html! { span.raw style="overflow-wrap:anywhere" { (d.url) } },
                status_badge(lang, &d.status),
                html! { (d.attempts) },
                html! { span.when { (d.next_attempt.as_deref().unwrap_or(dash)) } },
                html! {
                    @if let Some(code) = d.response_status { b { "HTTP " (code) } " " }
                    @if let Some(snippet) = &d.snippet { span.raw style="overflow-wrap:anywhere" { (snippet) } }
                    @if d.response_status.is_none() && d.snippet.is_none() { (dash) }
                },
                html! { span.when { (d.last_attempt.as_deref().unwrap_or(dash)) } },
                html! {
                    @if d.can_resend {
                        form method="post" action={ (PATH) "/deliveries/" (d.id) "/resend" } {
                            input type="hidden" name="csrf" value=(view.nav.csrf);
                            input type="hidden" name="lang" value=(lang.code());
                            button type="submit" aria-label=(if vi { format!("Gửi lại lần gửi số {}", d.id) } else { format!("Resend delivery {}", d.id) }) {
                                (if vi { "Gửi lại" } else { "Resend" })
                            }
                        }
                    }
                },
            ]
        })
        .collect();
    let errors = &view.errors;
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Webhook: thông báo khi công bố kết quả" } else { "Webhooks: notices when results are published" }) }
            p.note {
                (if vi {
                    "Mỗi lần công bố kết quả một đợt khảo sát, hệ thống gửi (POST) thông báo có chữ ký tới từng điểm nhận dưới đây (ví dụ công cụ tính Chỉ số CCHC). Gửi không thành công thì tự động thử lại trong khoảng một ngày."
                } else {
                    "Each time a round's results are published, a signed notice is POSTed to every endpoint below (the PAR Index engine, say). A failed delivery is retried automatically for about a day."
                })
            }
        }))
        @if let Some(notice) = notice { (notice) }
        (ErrorSummary { lang, problems: errors })
        (Card::new(html! {
            h2 #endpoints { (if vi { "Điểm nhận" } else { "Endpoints" }) }
            @if view.endpoints.is_empty() {
                p { (if vi { "Chưa có điểm nhận nào." } else { "No endpoint yet." }) }
            }
        }))
        @if !view.endpoints.is_empty() {
            (Table { columns: &endpoint_columns, rows: endpoint_rows })
        }
        (Card::new(html! {
            h2 #new-webhook { (if vi { "Thêm điểm nhận" } else { "Add an endpoint" }) }
            form method="post" action={ (PATH) (q) } aria-labelledby="new-webhook" novalidate {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="lang" value=(lang.code());
                label for="url" { (if vi { "Địa chỉ nhận (URL bắt đầu bằng https:// hoặc http://)" } else { "Endpoint URL (starting with https:// or http://)" }) }
                (field_errors(errors, "url"))
                input #url type="url" name="url" value=(view.url) autocomplete="off" inputmode="url" required maxlength="2000"
                    aria-describedby=[described_by(errors, "url")] aria-invalid=[errors.iter().any(|p| p.field == "url").then_some("true")];
                p { button.btn-main type="submit" { (if vi { "Thêm điểm nhận" } else { "Add endpoint" }) } }
            }
        }))
        (Card::new(html! {
            h2 #deliveries { (if vi { "Các lần gửi gần đây" } else { "Recent deliveries" }) }
            @if view.deliveries.is_empty() {
                p { (if vi { "Chưa có lần gửi nào." } else { "No delivery yet." }) }
            }
        }))
        @if !view.deliveries.is_empty() {
            (Table { columns: &delivery_columns, rows: delivery_rows })
        }
    };
    super::page(shell(lang, title, PATH), &view.nav, body)
}

#[derive(Debug, Clone, Default)]
pub struct DeleteView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub id: i32,
    pub url: String,
}

/// Asks before removing an endpoint.
pub fn delete_page(view: &DeleteView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let title = if vi {
        "Gỡ điểm nhận webhook — SIPAS"
    } else {
        "Remove a webhook endpoint — SIPAS"
    };
    let body = html! {
        (Card::toned(Tone::Warn, html! {
            h1 style="overflow-wrap:anywhere" { (if vi { format!("Gỡ điểm nhận {}?", view.url) } else { format!("Remove endpoint {}?", view.url) }) }
            p {
                (if vi {
                    "Không gửi thêm thông báo nào tới địa chỉ này; các lần gửi đang chờ sẽ dừng. Lịch sử gửi vẫn được giữ."
                } else {
                    "Nothing more is sent to this address; pending deliveries stop. Its delivery history is kept."
                })
            }
            form method="post" action={ (PATH) "/" (view.id) "/delete" } {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="lang" value=(lang.code());
                div.acts {
                    button.btn-main type="submit" { (if vi { "Gỡ điểm nhận" } else { "Remove the endpoint" }) }
                    a.btn href={ (PATH) "?lang=" (lang.code()) } { (if vi { "Hủy" } else { "Cancel" }) }
                }
            }
        }))
    };
    let mut shell = shell(lang, title, PATH);
    shell.path = None;
    super::page(shell, &view.nav, body)
}
