//! The administrators' pages: staff accounts (`/manage/users`), API tokens
//! (`/manage/tokens`) and the audit log (`/manage/audit`).

use maud::{Markup, html};

use super::form::{self, ErrorSummary, FORM_CSS, FieldProblem, described_by, field_errors};
use super::{CSS, StaffNav, role_label};
use crate::Lang;
use crate::layout::{Card, Column, Kind, Shell, Table, Tone};

/// What these pages add to the staff CSS: the one-time secret, row actions, the
/// before/after lists of the audit log.
const ADMIN_CSS: &str = concat!(
    ".secret{display:block;font:1.25rem/1.4 ui-monospace,Menlo,Consolas,monospace;background:#f3f4f6;border:2px dashed #0b3a6e;padding:.5rem .75rem;margin:.5rem 0;overflow-wrap:anywhere;user-select:all}",
    ".acts{display:flex;flex-wrap:wrap;gap:.5rem}.acts form{margin:0}",
    ".kv{margin:0;padding:0;list-style:none}.kv li{margin:0}.kv b{font-weight:600}",
    ".ba{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}.ba h3{font-size:.875rem;margin:0;color:#4a4f57}",
    ".filters{display:flex;flex-wrap:wrap;gap:0 1rem;align-items:flex-end}.filters div{flex:1 1 10rem}",
    ".raw{color:#4a4f57;font-size:.8125rem}",
    "fieldset{border:0;padding:0;margin:.75rem 0 0}legend{font-weight:600}",
    ".check{display:flex;align-items:center;gap:.5rem;min-height:44px;font-weight:400;margin:0}.check input{width:1.5rem;height:1.5rem;min-height:0}",
    ".pager{display:flex;gap:1rem;flex-wrap:wrap}.pager a{display:inline-block;padding:.625rem 0;min-height:44px}",
    ".when{white-space:nowrap}",
    "@media (min-width:40rem){.audit .t td:nth-child(-n+4){min-width:7rem;overflow-wrap:normal;word-break:normal}.audit .t td:nth-child(4){overflow-wrap:anywhere}}",
);

fn css() -> &'static str {
    // Both constants, joined once.
    static JOINED: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    JOINED.get_or_init(|| format!("{CSS}{FORM_CSS}{ADMIN_CSS}"))
}

pub(crate) fn shell<'a>(lang: Lang, title: &'a str, path: &'a str) -> Shell<'a> {
    Shell {
        lang,
        title,
        path: Some(path),
        demo: false,
        kind: Kind::Wide,
        css: Some(css()),
    }
}

/// `aria-invalid` of a field.
fn invalid(errors: &[FieldProblem], field: &str) -> Option<&'static str> {
    form::invalid(errors, field).then_some("true")
}

/// A secret shown once (a new password, a new token), with how to keep it.
pub(crate) fn one_time_secret(lang: Lang, heading: &str, secret: &str) -> Markup {
    let vi = lang == Lang::Vi;
    html! {
        (Card::toned(Tone::Ok, html! {
            h2 #secret-heading { (heading) }
            p role="status" {
                (if vi {
                    "Sao chép ngay (chọn rồi nhấn Ctrl+C, hoặc giữ để sao chép trên điện thoại) và gửi cho người dùng qua kênh an toàn. Giá trị này không được lưu và sẽ không hiển thị lại."
                } else {
                    "Copy it now (select it and press Ctrl+C, or long-press on a phone) and hand it over safely. It is not stored and will not be shown again."
                })
            }
            code.secret aria-labelledby="secret-heading" { (secret) }
        }))
    }
}

// ---------------------------------------------------------------------------------
// Users

/// A unit an account may answer for, in the scope list.
#[derive(Debug, Clone)]
pub struct ScopeOption {
    pub code: String,
    pub name: String,
}

/// The units of one type, an option group of the scope list.
#[derive(Debug, Clone)]
pub struct ScopeGroup {
    pub label: String,
    pub units: Vec<ScopeOption>,
}

/// One account in the list.
#[derive(Debug, Clone)]
pub struct UserLine {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub role: String,
    /// The unit's name and code; `None`: the whole province.
    pub scope: Option<String>,
    pub disabled: bool,
    pub created: String,
    /// The administrator looking at the page.
    pub is_self: bool,
}

/// What the new-account form was sent with, to show it again with its errors.
#[derive(Debug, Clone, Default)]
pub struct UserForm {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub scope: String,
}

/// What the last action did.
#[derive(Debug, Clone)]
pub enum UserNotice {
    Created {
        username: String,
        password: String,
    },
    Reset {
        username: String,
        password: String,
    },
    Disabled {
        username: String,
    },
    Enabled {
        username: String,
    },
    /// Refused, with why.
    Refused(String),
}

#[derive(Debug, Clone, Default)]
pub struct UsersView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub users: Vec<UserLine>,
    pub groups: Vec<ScopeGroup>,
    pub form: UserForm,
    pub errors: Vec<FieldProblem>,
    pub notice: Option<UserNotice>,
}

pub const USERS_PATH: &str = "/manage/users";

pub fn users_page(view: &UsersView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let title = if vi {
        "Người dùng — SIPAS"
    } else {
        "Users — SIPAS"
    };
    let q = format!("?lang={}", lang.code());
    let notice = view.notice.as_ref().map(|n| match n {
        UserNotice::Created { username, password } => one_time_secret(
            lang,
            &if vi {
                format!("Đã tạo tài khoản {username}. Mật khẩu:")
            } else {
                format!("Account {username} created. Its password:")
            },
            password,
        ),
        UserNotice::Reset { username, password } => one_time_secret(
            lang,
            &if vi {
                format!("Mật khẩu mới của {username} (các phiên đăng nhập của họ đã kết thúc):")
            } else {
                format!("New password of {username} (their sessions have ended):")
            },
            password,
        ),
        UserNotice::Disabled { username } => html! {
            (Card::toned(Tone::Ok, html! { p.cap role="status" {
                (if vi { format!("Đã khóa tài khoản {username}. Các phiên đăng nhập của họ đã kết thúc.") }
                 else { format!("Account {username} is disabled. Their sessions have ended.") })
            } }))
        },
        UserNotice::Enabled { username } => html! {
            (Card::toned(Tone::Ok, html! { p.cap role="status" {
                (if vi { format!("Đã mở khóa tài khoản {username}.") }
                 else { format!("Account {username} is enabled.") })
            } }))
        },
        UserNotice::Refused(why) => html! {
            (Card::toned(Tone::Err, html! { p.cap role="alert" { (why) } }))
        },
    });
    let columns = [
        Column::text(if vi { "Tên đăng nhập" } else { "Username" }),
        Column::text(if vi { "Họ tên" } else { "Name" }),
        Column::text(if vi { "Vai trò" } else { "Role" }),
        Column::text(if vi { "Phạm vi" } else { "Scope" }),
        Column::text(if vi { "Trạng thái" } else { "Status" }),
        Column::text(if vi { "Ngày tạo" } else { "Created" }),
        Column::text(if vi { "Thao tác" } else { "Actions" }),
    ];
    let rows = view
        .users
        .iter()
        .map(|u| {
            vec![
                html! { (u.username) },
                html! { (u.display_name) },
                html! { (role_label(lang, &u.role)) },
                html! { (u.scope.clone().unwrap_or_else(|| (if vi { "Toàn tỉnh" } else { "Whole province" }).to_owned())) },
                html! {
                    @if u.disabled {
                        span.badge.s-at_risk { span aria-hidden="true" { "✖ " } (if vi { "Đã khóa" } else { "Disabled" }) }
                    } @else {
                        span.badge.s-met { span aria-hidden="true" { "✔ " } (if vi { "Đang dùng" } else { "Enabled" }) }
                    }
                },
                html! { (u.created) },
                html! {
                    div.acts {
                        form method="post" action={ "/manage/users/" (u.id) "/reset" } {
                            input type="hidden" name="csrf" value=(view.nav.csrf);
                            input type="hidden" name="lang" value=(lang.code());
                            button type="submit" aria-label=(if vi { format!("Đặt lại mật khẩu của {}", u.username) } else { format!("Reset the password of {}", u.username) }) {
                                (if vi { "Đặt lại mật khẩu" } else { "Reset password" })
                            }
                        }
                        @if u.disabled {
                            form method="post" action={ "/manage/users/" (u.id) "/enable" } {
                                input type="hidden" name="csrf" value=(view.nav.csrf);
                                input type="hidden" name="lang" value=(lang.code());
                                button type="submit" aria-label=(if vi { format!("Mở khóa {}", u.username) } else { format!("Enable {}", u.username) }) {
                                    (if vi { "Mở khóa" } else { "Enable" })
                                }
                            }
                        } @else if !u.is_self {
                            form method="post" action={ "/manage/users/" (u.id) "/disable" } {
                                input type="hidden" name="csrf" value=(view.nav.csrf);
                                input type="hidden" name="lang" value=(lang.code());
                                button type="submit" aria-label=(if vi { format!("Khóa {}", u.username) } else { format!("Disable {}", u.username) }) {
                                    (if vi { "Khóa" } else { "Disable" })
                                }
                            }
                        }
                    }
                },
            ]
        })
        .collect();
    let errors = &view.errors;
    let roles = ["manager", "viewer", "admin"];
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Người dùng" } else { "Users" }) }
            p.note {
                (if vi {
                    "Tài khoản của cán bộ: vai trò, phạm vi đơn vị, khóa và mở khóa. Mật khẩu do hệ thống tạo và chỉ hiển thị một lần."
                } else {
                    "Staff accounts: role, unit scope, disabling and enabling. Passwords are generated and shown once."
                })
            }
        }))
        @if let Some(notice) = notice { (notice) }
        (ErrorSummary { lang, problems: errors })
        (Table { columns: &columns, rows })
        (Card::new(html! {
            h2 #new-user { (if vi { "Tạo tài khoản" } else { "Create an account" }) }
            form method="post" action={ (USERS_PATH) (q) } aria-labelledby="new-user" novalidate {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="lang" value=(lang.code());
                label for="username" { (if vi { "Tên đăng nhập" } else { "Username" }) }
                p.note #username-hint { (if vi { "3–64 chữ cái không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang." } else { "3–64 letters, digits, '.', '_' or '-'." }) }
                (field_errors(errors, "username"))
                input #username type="text" name="username" value=(view.form.username)
                    autocomplete="off" autocapitalize="none" spellcheck="false" required
                    aria-describedby={ "username-hint" @if let Some(e) = described_by(errors, "username") { " " (e) } }
                    aria-invalid=[invalid(errors, "username")];
                label for="display_name" { (if vi { "Họ tên (không bắt buộc)" } else { "Name (optional)" }) }
                (field_errors(errors, "display_name"))
                input #display_name type="text" name="display_name" value=(view.form.display_name)
                    autocomplete="off" aria-describedby=[described_by(errors, "display_name")]
                    aria-invalid=[invalid(errors, "display_name")];
                label for="role" { (if vi { "Vai trò" } else { "Role" }) }
                (field_errors(errors, "role"))
                select #role name="role" aria-describedby=[described_by(errors, "role")] aria-invalid=[invalid(errors, "role")] {
                    @for r in roles {
                        option value=(r) selected[view.form.role == r] { (role_label(lang, r)) }
                    }
                }
                label for="scope" { (if vi { "Phạm vi (đơn vị phụ trách)" } else { "Scope (the unit they answer for)" }) }
                p.note #scope-hint { (if vi { "Quản trị cấp tỉnh luôn phụ trách toàn tỉnh." } else { "A provincial administrator always answers for the whole province." }) }
                (field_errors(errors, "scope"))
                select #scope name="scope"
                    aria-describedby={ "scope-hint" @if let Some(e) = described_by(errors, "scope") { " " (e) } }
                    aria-invalid=[invalid(errors, "scope")] {
                    option value="" selected[view.form.scope.is_empty()] { (if vi { "Toàn tỉnh" } else { "Whole province" }) }
                    @for g in &view.groups {
                        optgroup label=(g.label) {
                            @for u in &g.units {
                                option value=(u.code) selected[view.form.scope == u.code] { (u.name) " (" (u.code) ")" }
                            }
                        }
                    }
                }
                p { button.btn-main type="submit" { (if vi { "Tạo tài khoản" } else { "Create account" }) } }
            }
        }))
    };
    super::page(shell(lang, title, USERS_PATH), &view.nav, body)
}

// ---------------------------------------------------------------------------------
// API tokens

/// One API client in the list.
#[derive(Debug, Clone)]
pub struct TokenLine {
    pub id: i32,
    pub name: String,
    pub scopes: String,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

#[derive(Debug, Clone)]
pub enum TokenNotice {
    Created { name: String, token: String },
    Revoked { name: String },
    Refused(String),
}

#[derive(Debug, Clone, Default)]
pub struct TokensView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub tokens: Vec<TokenLine>,
    /// The new-token form as sent.
    pub name: String,
    pub read: bool,
    pub write: bool,
    pub errors: Vec<FieldProblem>,
    pub notice: Option<TokenNotice>,
}

pub const TOKENS_PATH: &str = "/manage/tokens";

fn scopes_label(lang: Lang, scopes: &str) -> String {
    let vi = lang == Lang::Vi;
    scopes
        .split(',')
        .map(|s| match (s.trim(), vi) {
            ("read", true) => "đọc",
            ("write", true) => "ghi",
            ("read", false) => "read",
            ("write", false) => "write",
            (other, _) => other,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn tokens_page(view: &TokensView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let title = if vi {
        "Mã truy cập API — SIPAS"
    } else {
        "API tokens — SIPAS"
    };
    let q = format!("?lang={}", lang.code());
    let notice = view.notice.as_ref().map(|n| match n {
        TokenNotice::Created { name, token } => one_time_secret(
            lang,
            &if vi {
                format!("Đã tạo mã truy cập cho {name}:")
            } else {
                format!("Token created for {name}:")
            },
            token,
        ),
        TokenNotice::Revoked { name } => html! {
            (Card::toned(Tone::Ok, html! { p.cap role="status" {
                (if vi { format!("Đã thu hồi mã truy cập của {name}: mọi yêu cầu dùng mã này bị từ chối từ bây giờ.") }
                 else { format!("The token of {name} is revoked: every request with it is refused from now on.") })
            } }))
        },
        TokenNotice::Refused(why) => html! {
            (Card::toned(Tone::Err, html! { p.cap role="alert" { (why) } }))
        },
    });
    let never = if vi { "Chưa dùng" } else { "Never" };
    let columns = [
        Column::text(if vi { "Tên" } else { "Name" }),
        Column::text(if vi { "Quyền" } else { "Scopes" }),
        Column::text(if vi { "Ngày tạo" } else { "Created" }),
        Column::text(if vi {
            "Lần dùng cuối"
        } else {
            "Last used"
        }),
        Column::text(if vi { "Trạng thái" } else { "Status" }),
        Column::text(if vi { "Thao tác" } else { "Actions" }),
    ];
    let rows = view
        .tokens
        .iter()
        .map(|t| {
            vec![
                html! { (t.name) },
                html! { (scopes_label(lang, &t.scopes)) },
                html! { (t.created) },
                html! { (t.last_used.as_deref().unwrap_or(never)) },
                html! {
                    @if let Some(at) = &t.revoked {
                        span.badge.s-at_risk { span aria-hidden="true" { "✖ " } (if vi { "Đã thu hồi " } else { "Revoked " }) (at) }
                    } @else {
                        span.badge.s-met { span aria-hidden="true" { "✔ " } (if vi { "Đang dùng" } else { "Active" }) }
                    }
                },
                html! {
                    @if t.revoked.is_none() {
                        a href={ "/manage/tokens/" (t.id) "/revoke" (q) } aria-label=(if vi { format!("Thu hồi mã của {}", t.name) } else { format!("Revoke the token of {}", t.name) }) {
                            (if vi { "Thu hồi…" } else { "Revoke…" })
                        }
                    }
                },
            ]
        })
        .collect();
    let errors = &view.errors;
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Mã truy cập API" } else { "API tokens" }) }
            p.note {
                (if vi {
                    "Mã cho các hệ thống gọi API (công cụ tính chỉ số, hệ thống một cửa). Mã chỉ hiển thị một lần khi tạo; hệ thống chỉ lưu giá trị băm."
                } else {
                    "Tokens for the systems that call the API (the index engine, the one-stop system). A token is shown once when created; only its hash is stored."
                })
            }
        }))
        @if let Some(notice) = notice { (notice) }
        (ErrorSummary { lang, problems: errors })
        (Table { columns: &columns, rows })
        (Card::new(html! {
            h2 #new-token { (if vi { "Tạo mã truy cập" } else { "Create a token" }) }
            form method="post" action={ (TOKENS_PATH) (q) } aria-labelledby="new-token" novalidate {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="lang" value=(lang.code());
                label for="name" { (if vi { "Tên hệ thống dùng mã" } else { "Name of the system using it" }) }
                (field_errors(errors, "name"))
                input #name type="text" name="name" value=(view.name) autocomplete="off" required
                    aria-describedby=[described_by(errors, "name")] aria-invalid=[invalid(errors, "name")];
                fieldset #scopes aria-describedby=[described_by(errors, "scopes")] {
                    legend { (if vi { "Quyền" } else { "Scopes" }) }
                    (field_errors(errors, "scopes"))
                    label.check for="scope-read" {
                        input #scope-read type="checkbox" name="read" value="1" checked[view.read];
                        (if vi { "Đọc (điểm số, chỉ tiêu)" } else { "Read (scores, quotas)" })
                    }
                    label.check for="scope-write" {
                        input #scope-write type="checkbox" name="write" value="1" checked[view.write];
                        (if vi { "Ghi (biên nhận, nhập dữ liệu)" } else { "Write (receipts, imports)" })
                    }
                }
                p { button.btn-main type="submit" { (if vi { "Tạo mã" } else { "Create token" }) } }
            }
        }))
    };
    super::page(shell(lang, title, TOKENS_PATH), &view.nav, body)
}

#[derive(Debug, Clone, Default)]
pub struct RevokeView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub id: i32,
    pub name: String,
    pub scopes: String,
    pub last_used: Option<String>,
}

/// Asks before revoking a token.
pub fn revoke_page(view: &RevokeView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let title = if vi {
        "Thu hồi mã truy cập — SIPAS"
    } else {
        "Revoke a token — SIPAS"
    };
    let path = format!("/manage/tokens/{}/revoke", view.id);
    let body = html! {
        (Card::toned(Tone::Warn, html! {
            h1 { (if vi { format!("Thu hồi mã truy cập của {}?", view.name) } else { format!("Revoke the token of {}?", view.name) }) }
            p {
                (if vi { "Quyền: " } else { "Scopes: " }) (scopes_label(lang, &view.scopes)) ". "
                (if vi { "Lần dùng cuối: " } else { "Last used: " })
                (view.last_used.as_deref().unwrap_or(if vi { "chưa dùng" } else { "never" })) "."
            }
            p {
                (if vi {
                    "Mọi yêu cầu dùng mã này sẽ bị từ chối ngay lập tức. Không thể hoàn tác: hệ thống dùng mã sẽ cần một mã mới."
                } else {
                    "Every request with this token is refused at once. This cannot be undone: the system using it will need a new token."
                })
            }
            form method="post" action=(path) {
                input type="hidden" name="csrf" value=(view.nav.csrf);
                input type="hidden" name="lang" value=(lang.code());
                div.acts {
                    button.btn-main type="submit" { (if vi { "Thu hồi mã" } else { "Revoke the token" }) }
                    a.btn href={ (TOKENS_PATH) "?lang=" (lang.code()) } { (if vi { "Hủy" } else { "Cancel" }) }
                }
            }
        }))
    };
    let mut shell = shell(lang, title, TOKENS_PATH);
    shell.path = None;
    super::page(shell, &view.nav, body)
}

// ---------------------------------------------------------------------------------
// Audit log

/// An action code in words (`None`: unknown, shown as it is).
pub fn action_words(lang: Lang, action: &str) -> Option<&'static str> {
    let vi = lang == Lang::Vi;
    let (v, e) = match action {
        "user.create" => ("Tạo tài khoản", "Account created"),
        "user.login" => ("Đăng nhập", "Logged in"),
        "user.password" => ("Đổi mật khẩu", "Password changed"),
        "user.password_reset" => ("Đặt lại mật khẩu", "Password reset"),
        "user.disable" => ("Khóa tài khoản", "Account disabled"),
        "user.enable" => ("Mở khóa tài khoản", "Account enabled"),
        "api_client.create" => ("Tạo mã truy cập API", "API token created"),
        "api_client.revoke" => ("Thu hồi mã truy cập API", "API token revoked"),
        "webhook.create" => ("Thêm điểm nhận webhook", "Webhook endpoint added"),
        "webhook.delete" => ("Gỡ điểm nhận webhook", "Webhook endpoint removed"),
        "webhook.resend" => ("Gửi lại thông báo webhook", "Webhook delivery resent"),
        "campaign.create" => ("Tạo đợt khảo sát", "Campaign created"),
        "campaign.update" => ("Sửa đợt khảo sát", "Campaign changed"),
        "campaign.open" => ("Mở đợt khảo sát", "Campaign opened"),
        "campaign.closed" | "campaign.close" => ("Đóng đợt khảo sát", "Campaign closed"),
        "campaign.published" | "campaign.publish" => ("Công bố kết quả", "Campaign published"),
        "campaign.units_on" => ("Chốt cơ cấu đơn vị", "Structure pinned"),
        "frame.replace" => ("Thay khung mẫu", "Frame replaced"),
        "quota.override" => ("Điều chỉnh chỉ tiêu", "Quota overridden"),
        "quota.override_undo" | "quota.restore" => {
            ("Bỏ điều chỉnh chỉ tiêu", "Quota override undone")
        }
        "responses.import" => ("Nhập phiếu trả lời", "Responses imported"),
        "response.paper" | "response.enter" => ("Nhập phiếu giấy", "Paper form keyed"),
        "receipt.issue" => ("Cấp mã QR biên nhận", "Receipt QR issued"),
        "service_point.create" => ("Thêm quầy tiếp nhận", "Desk added"),
        "service_point.rename" => ("Đổi tên quầy tiếp nhận", "Desk renamed"),
        "service_point.close" => ("Đóng quầy tiếp nhận", "Desk closed"),
        "kiosk.enable" => ("Bật chế độ kiosk của quầy", "Desk kiosk enabled"),
        "kiosk.regenerate" => ("Tạo lại liên kết kiosk của quầy", "Desk kiosk link renewed"),
        "kiosk.revoke" => (
            "Thu hồi liên kết kiosk của quầy",
            "Desk kiosk link withdrawn",
        ),
        "unit.create" => ("Thêm đơn vị", "Unit created"),
        "unit.rename" => ("Đổi tên đơn vị", "Unit renamed"),
        "unit.close" => ("Giải thể đơn vị", "Unit closed"),
        "units.import" => ("Nhập danh sách đơn vị", "Units imported"),
        "units.end_structure" => ("Kết thúc cơ cấu đơn vị", "Structure ended"),
        "par_scheme.create" => ("Tạo thang điểm PAR", "PAR scheme created"),
        "par_scheme.replace" => ("Thay thang điểm PAR", "PAR scheme replaced"),
        "appraisal.import" => ("Nhập điểm thẩm định", "Appraised points imported"),
        _ => return None,
    };
    Some(if vi { v } else { e })
}

/// One audit event, ready to show.
#[derive(Debug, Clone, Default)]
pub struct AuditLine {
    pub id: i64,
    pub who: String,
    /// The action's code, e.g. `user.disable`.
    pub action: String,
    pub subject: String,
    /// The unit it is about: its name and code.
    pub unit: Option<String>,
    /// Vietnam time, dd/mm/yyyy HH:MM.
    pub when: String,
    /// `detail.before` / `detail.after` as key: value lines, when the detail has them.
    pub before: Option<Vec<(String, String)>>,
    pub after: Option<Vec<(String, String)>>,
    /// The rest of the detail, key: value.
    pub detail: Vec<(String, String)>,
}

/// The audit page's filter form as sent.
#[derive(Debug, Clone, Default)]
pub struct AuditFilterForm {
    pub actor: String,
    pub unit: String,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Default)]
pub struct AuditView {
    pub lang: Lang,
    pub nav: StaffNav,
    pub filter: AuditFilterForm,
    /// Every actor of the log, for the user filter.
    pub actors: Vec<String>,
    pub errors: Vec<FieldProblem>,
    pub lines: Vec<AuditLine>,
    /// The link to the next (older) page.
    pub older: Option<String>,
    /// The link back to the newest page, when this is not it.
    pub newest: Option<String>,
}

pub const AUDIT_PATH: &str = "/manage/audit";

fn key_values(items: &[(String, String)]) -> Markup {
    html! {
        ul.kv {
            @for (k, v) in items {
                li { @if !k.is_empty() { b { (k) ": " } } (v) }
            }
        }
    }
}

pub fn audit_page(view: &AuditView) -> Markup {
    let lang = view.lang;
    let vi = lang == Lang::Vi;
    let title = if vi {
        "Nhật ký thay đổi — SIPAS"
    } else {
        "Audit log — SIPAS"
    };
    let errors = &view.errors;
    let f = &view.filter;
    let columns = [
        Column::text(if vi { "Thời gian" } else { "When" }),
        Column::text(if vi { "Người thực hiện" } else { "Who" }),
        Column::text(if vi { "Thao tác" } else { "What" }),
        Column::text(if vi { "Đối tượng" } else { "Subject" }),
        Column::text(if vi {
            "Trước → Sau"
        } else {
            "Before → After"
        }),
    ];
    let rows = view
        .lines
        .iter()
        .map(|l| {
            vec![
                html! { span.when { (l.when) } },
                html! { (l.who) },
                html! {
                    @match action_words(lang, &l.action) {
                        Some(words) => { (words) br; span.raw { (l.action) } },
                        None => { (l.action) },
                    }
                },
                html! {
                    (l.subject)
                    @if let Some(unit) = &l.unit { br; span.raw { (unit) } }
                },
                html! {
                    @if l.before.is_some() || l.after.is_some() {
                        div.ba {
                            div {
                                h3 { (if vi { "Trước" } else { "Before" }) }
                                @match &l.before { Some(b) => (key_values(b)), None => { "—" } }
                            }
                            div {
                                h3 { (if vi { "Sau" } else { "After" }) }
                                @match &l.after { Some(a) => (key_values(a)), None => { "—" } }
                            }
                        }
                    }
                    @if !l.detail.is_empty() { (key_values(&l.detail)) }
                },
            ]
        })
        .collect();
    let body = html! {
        (Card::new(html! {
            h1 { (if vi { "Nhật ký thay đổi" } else { "Audit log" }) }
            p.note {
                (if vi {
                    "Mọi thay đổi trên trang quản lý, qua API và dòng lệnh, mới nhất trước. Giờ Việt Nam."
                } else {
                    "Every change made in the dashboard, the API and the command line, newest first. Vietnam time."
                })
            }
        }))
        (ErrorSummary { lang, problems: errors })
        (Card::new(html! {
            form method="get" action=(AUDIT_PATH) aria-label=(if vi { "Lọc nhật ký" } else { "Filter the log" }) {
                input type="hidden" name="lang" value=(lang.code());
                div.filters {
                    div {
                        label for="actor" { (if vi { "Người thực hiện" } else { "User" }) }
                        select #actor name="actor" {
                            option value="" selected[f.actor.is_empty()] { (if vi { "Tất cả" } else { "Everyone" }) }
                            @for a in &view.actors {
                                option value=(a) selected[&f.actor == a] { (a) }
                            }
                        }
                    }
                    div {
                        label for="unit" { (if vi { "Mã đơn vị (gồm đơn vị trực thuộc)" } else { "Unit code (and the units below)" }) }
                        (field_errors(errors, "unit"))
                        input #unit type="text" name="unit" value=(f.unit) autocomplete="off" spellcheck="false"
                            aria-describedby=[described_by(errors, "unit")] aria-invalid=[invalid(errors, "unit")];
                    }
                    div {
                        label for="from" { (if vi { "Từ ngày (dd/mm/yyyy)" } else { "From (dd/mm/yyyy)" }) }
                        (field_errors(errors, "from"))
                        input #from type="text" name="from" value=(f.from) autocomplete="off" size="10"
                            aria-describedby=[described_by(errors, "from")] aria-invalid=[invalid(errors, "from")];
                    }
                    div {
                        label for="to" { (if vi { "Đến ngày (dd/mm/yyyy)" } else { "To (dd/mm/yyyy)" }) }
                        (field_errors(errors, "to"))
                        input #to type="text" name="to" value=(f.to) autocomplete="off" size="10"
                            aria-describedby=[described_by(errors, "to")] aria-invalid=[invalid(errors, "to")];
                    }
                    div { p { button type="submit" { (if vi { "Lọc" } else { "Filter" }) } } }
                }
            }
        }))
        @if view.lines.is_empty() && errors.is_empty() {
            (Card::new(html! { p.cap { (if vi { "Không có thay đổi nào khớp bộ lọc." } else { "No change matches the filter." }) } }))
        } @else if !view.lines.is_empty() {
            div.audit { (Table { columns: &columns, rows }) }
        }
        @if view.older.is_some() || view.newest.is_some() {
            nav.pager aria-label=(if vi { "Trang" } else { "Pages" }) {
                @if let Some(href) = &view.newest { a href=(href) { (if vi { "« Mới nhất" } else { "« Newest" }) } }
                @if let Some(href) = &view.older { a href=(href) { (if vi { "Cũ hơn »" } else { "Older »" }) } }
            }
        }
    };
    super::page(shell(lang, title, AUDIT_PATH), &view.nav, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_shown_once_and_fields_carry_their_errors() {
        let view = UsersView {
            notice: Some(UserNotice::Created {
                username: "lan".into(),
                password: "Secret123".into(),
            }),
            errors: vec![FieldProblem {
                field: "username".into(),
                message: "bad<".into(),
            }],
            ..Default::default()
        };
        let page = users_page(&view).into_string();
        assert!(page.contains(r#"<code class="secret""#) && page.contains("Secret123"));
        assert!(page.contains(r##"<a href="#username">bad&lt;</a>"##));
        assert!(page.contains(r#"aria-invalid="true""#));
        assert!(page.contains(r#"id="username-error""#));
    }

    #[test]
    fn unknown_actions_show_raw_and_before_after_side_by_side() {
        assert_eq!(
            action_words(Lang::Vi, "user.disable"),
            Some("Khóa tài khoản")
        );
        assert_eq!(action_words(Lang::En, "nope.x"), None);
        let view = AuditView {
            lines: vec![AuditLine {
                action: "weird.thing".into(),
                before: Some(vec![("disabled".into(), "false".into())]),
                after: Some(vec![("disabled".into(), "true".into())]),
                ..Default::default()
            }],
            ..Default::default()
        };
        let page = audit_page(&view).into_string();
        assert!(page.contains("weird.thing"));
        assert!(page.contains(r#"<div class="ba">"#));
        assert!(page.contains("<b>disabled: </b>true"));
    }
}
