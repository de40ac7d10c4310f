//! The two languages of the citizen pages and every UI string in both.
//!
//! Questionnaire texts are not here: they come in the view structs, already in the chosen
//! language.

/// Page language. Vietnamese is the default; English is the second language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    /// The BCP 47 code used in `lang` attributes and in `?lang=`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// Parses `vi`, `en` (any case, with or without a region such as `en-GB`).
    pub fn from_code(code: &str) -> Option<Lang> {
        let primary = code.trim().split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("vi") {
            Some(Lang::Vi)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language asked for by a `?lang=` query value; anything else is Vietnamese.
    pub fn from_query(value: Option<&str>) -> Lang {
        value.and_then(Lang::from_code).unwrap_or_default()
    }

    /// The other language (the target of the language switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// The language's name written in that language ("Tiếng Việt", "English").
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::Vi => "Tiếng Việt",
            Lang::En => "English",
        }
    }

    /// Every UI string in this language.
    pub fn text(self) -> &'static Text {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// "Bạn chưa trả lời 3 câu:" — the heading of the error summary.
    pub fn missing_heading(self, n: usize) -> String {
        match (self, n) {
            (Lang::Vi, _) => format!("Bạn chưa trả lời {n} câu:"),
            (Lang::En, 1) => "You have not answered 1 question:".to_string(),
            (Lang::En, _) => format!("You have not answered {n} questions:"),
        }
    }

    /// "Câu 3" — how a question is numbered.
    pub fn question_label(self, n: usize) -> String {
        match self {
            Lang::Vi => format!("Câu {n}"),
            Lang::En => format!("Question {n}"),
        }
    }

    /// "Phần 2/5" — how an element (section) is numbered.
    pub fn part_label(self, n: usize, of: usize) -> String {
        match self {
            Lang::Vi => format!("Phần {n}/{of}"),
            Lang::En => format!("Part {n} of {of}"),
        }
    }

    /// "22 câu hỏi, khoảng 3 phút."
    pub fn form_size(self, questions: usize) -> String {
        let minutes = questions.div_ceil(8).max(1);
        match self {
            Lang::Vi => format!("{questions} câu hỏi, khoảng {minutes} phút."),
            Lang::En => format!("{questions} questions, about {minutes} minutes."),
        }
    }
}

/// UI strings of one language.
#[derive(Debug)]
pub struct Text {
    pub service_name: &'static str,
    pub service_sub: &'static str,
    pub switch_label: &'static str,
    pub demo: &'static str,
    pub rating_for: &'static str,
    pub intro: &'static str,
    pub privacy: &'static str,
    pub scale: [&'static str; 5],
    pub no_opinion: &'static str,
    pub missing_one: &'static str,
    pub error_prefix: &'static str,
    pub comment_label: &'static str,
    pub comment_hint: &'static str,
    pub honeypot_label: &'static str,
    pub submit: &'static str,
    pub submit_hint: &'static str,
    pub thanks_title: &'static str,
    pub thanks_body: &'static str,
    pub thanks_close: &'static str,
    /// On a desk's shared tablet (kiosk), instead of "close this page".
    pub kiosk_next: &'static str,
    /// A kiosk link that a manager regenerated or revoked.
    pub kiosk_revoked: &'static str,
    pub already_title: &'static str,
    pub already_body: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub not_found_steps: [&'static str; 2],
    pub error_title: &'static str,
    pub error_body: &'static str,
    pub error_retry: &'static str,
    pub error_reference: &'static str,
    pub footer: &'static str,
    /// The generic 404: no page at this address.
    pub no_page_title: &'static str,
    pub no_page_body: &'static str,
    /// A link to the front page (`/`).
    pub home_link: &'static str,
    /// The form's hidden token did not verify; the answers are kept.
    pub stale_form: &'static str,
    /// Every question answered "no opinion": nothing to count yet.
    pub all_no_opinion: &'static str,
    /// Too many answers from this phone or desk just now.
    pub rate_limited: &'static str,
    /// The campaign is not taking answers.
    pub closed: &'static str,
    /// The database is out of reach: nothing was stored, the answers are kept.
    pub unavailable: &'static str,
    /// The same, when the form could not be drawn again: the answers are kept in the
    /// page, to be sent again with its button.
    pub unavailable_resend: &'static str,
    /// A posted form over the size limit.
    pub form_too_large: &'static str,
    /// A posted body that is not a form at all.
    pub form_unreadable: &'static str,
}

/// Vietnamese.
pub static VI: Text = Text {
    service_name: "Đánh giá sự hài lòng",
    service_sub: "về sự phục vụ hành chính (SIPAS)",
    switch_label: "Ngôn ngữ",
    demo: "DỮ LIỆU THỬ NGHIỆM: đợt khảo sát này là dữ liệu mẫu, không tính vào kết quả chính thức.",
    rating_for: "Bạn đang đánh giá",
    intro: "Với mỗi câu, chọn một mức từ 1 (Rất không hài lòng) đến 5 (Rất hài lòng). Nếu không rõ, chọn \u{201c}Không có ý kiến\u{201d}.",
    privacy: "Khảo sát ẩn danh: không hỏi họ tên, số điện thoại. Chỉ lưu câu trả lời, góp ý (nếu có), thời gian gửi và quầy được đánh giá; không lưu địa chỉ IP ở dạng đọc được.",
    scale: [
        "Rất không hài lòng",
        "Không hài lòng",
        "Bình thường",
        "Hài lòng",
        "Rất hài lòng",
    ],
    no_opinion: "Không có ý kiến",
    missing_one: "Bạn chưa trả lời câu này. Hãy chọn một mức, hoặc \u{201c}Không có ý kiến\u{201d}.",
    error_prefix: "Lỗi",
    comment_label: "Góp ý thêm (không bắt buộc)",
    comment_hint: "Xin đừng ghi họ tên, số điện thoại hay mã hồ sơ.",
    honeypot_label: "Để trống ô này",
    submit: "Gửi đánh giá",
    submit_hint: "Bấm một lần và chờ trong giây lát.",
    thanks_title: "Cảm ơn bạn đã đánh giá",
    thanks_body: "Câu trả lời của bạn đã được ghi nhận. Ý kiến của bạn giúp cơ quan phục vụ người dân tốt hơn.",
    thanks_close: "Bạn có thể đóng trang này.",
    kiosk_next: "Phiếu mới cho người tiếp theo sẽ hiện sau vài giây.",
    kiosk_revoked: "Liên kết máy tính bảng này đã bị thu hồi. Xin cán bộ quản lý mở liên kết mới của quầy.",
    already_title: "Phiếu này đã được trả lời",
    already_body: "Phiếu đánh giá của giấy tiếp nhận hồ sơ này đã được ghi nhận. Cảm ơn Ông/Bà! Mỗi giấy tiếp nhận chỉ dùng để đánh giá một lần, nên không thể trả lời lại.",
    not_found_title: "Mã khảo sát không hợp lệ hoặc đã hết hạn",
    not_found_body: "Có thể mã QR bị chụp thiếu, đường dẫn bị gõ sai, hoặc đợt khảo sát đã kết thúc.",
    not_found_steps: [
        "Quét lại mã QR tại quầy hoặc trên giấy tiếp nhận hồ sơ.",
        "Nếu vẫn không được, xin hỏi cán bộ tại Bộ phận Một cửa.",
    ],
    error_title: "Đã có lỗi xảy ra",
    error_body: "Hệ thống đang gặp sự cố. Xin thử lại sau ít phút.",
    error_retry: "Thử lại",
    error_reference: "Mã tra cứu",
    footer: "Khảo sát do cơ quan nhà nước tổ chức theo phương pháp SIPAS của Bộ Nội vụ.",
    no_page_title: "Không tìm thấy trang này",
    no_page_body: "Không có trang nào ở địa chỉ này. Có thể đường dẫn bị gõ sai hoặc trang đã được chuyển đi.",
    home_link: "Về trang chủ",
    stale_form: "Phiên làm phiếu đã hết hạn. Các câu trả lời của bạn vẫn được giữ nguyên, xin bấm \u{201c}Gửi đánh giá\u{201d} lại.",
    all_no_opinion: "Bạn đã chọn \u{201c}Không có ý kiến\u{201d} cho tất cả các câu. Xin đánh giá ít nhất một câu để phiếu được tính.",
    rate_limited: "Có quá nhiều phiếu được gửi từ thiết bị hoặc quầy này trong ít phút qua. Xin thử lại sau 10 phút.",
    closed: "Đợt khảo sát này hiện không nhận phiếu. Cảm ơn bạn đã quan tâm.",
    unavailable: "Hệ thống tạm thời chưa lưu được phiếu của bạn. Các câu trả lời vẫn được giữ nguyên bên dưới; xin bấm \u{201c}Gửi đánh giá\u{201d} lại sau ít phút. Phiếu chỉ được tính một lần.",
    unavailable_resend: "Hệ thống tạm thời chưa lưu được phiếu của bạn. Các câu trả lời vẫn được giữ trong trang này: xin bấm \u{201c}Thử lại\u{201d} sau ít phút. Phiếu chỉ được tính một lần.",
    form_too_large: "Phiếu gửi lên quá lớn nên không đọc được (có thể phần góp ý quá dài). Xin quay lại phiếu, rút ngắn góp ý rồi gửi lại.",
    form_unreadable: "Không đọc được phiếu gửi lên. Xin quay lại phiếu và gửi lại.",
};

/// English.
pub static EN: Text = Text {
    service_name: "Rate our service",
    service_sub: "public administration satisfaction survey (SIPAS)",
    switch_label: "Language",
    demo: "DEMO DATA: this survey is sample data and does not count in the official results.",
    rating_for: "You are rating",
    intro: "For each question, choose a level from 1 (Very dissatisfied) to 5 (Very satisfied). If you are not sure, choose \u{201c}No opinion\u{201d}.",
    privacy: "This survey is anonymous: we do not ask your name or phone number. We store only your answers, your comment (if any), the time and the desk you rated; your IP address is never stored in readable form.",
    scale: [
        "Very dissatisfied",
        "Dissatisfied",
        "Neutral",
        "Satisfied",
        "Very satisfied",
    ],
    no_opinion: "No opinion",
    missing_one: "You have not answered this question. Choose a level, or \u{201c}No opinion\u{201d}.",
    error_prefix: "Error",
    comment_label: "Any other comments (optional)",
    comment_hint: "Please do not write your name, phone number or dossier number.",
    honeypot_label: "Leave this field empty",
    submit: "Send my answers",
    submit_hint: "Press once and wait a moment.",
    thanks_title: "Thank you for your answers",
    thanks_body: "Your answers have been recorded. They help the office serve people better.",
    thanks_close: "You can close this page.",
    kiosk_next: "A new form for the next person appears in a few seconds.",
    kiosk_revoked: "This tablet link has been withdrawn. Please ask a manager to open the desk's new link.",
    already_title: "This survey has already been answered",
    already_body: "The answer for this dossier receipt has been received. Thank you! Each receipt can be used to answer once, so it cannot be answered again.",
    not_found_title: "This survey code is not valid or has expired",
    not_found_body: "The QR code may have been scanned only in part, the address mistyped, or the survey may have ended.",
    not_found_steps: [
        "Scan the QR code at the desk or on your dossier receipt again.",
        "If it still does not work, please ask the staff at the one-stop desk.",
    ],
    error_title: "Something went wrong",
    error_body: "The service has a problem. Please try again in a few minutes.",
    error_retry: "Try again",
    error_reference: "Reference",
    footer: "A survey run by the public authorities with the Ministry of Home Affairs' SIPAS method.",
    no_page_title: "This page does not exist",
    no_page_body: "There is no page at this address. The link may be mistyped, or the page may have moved.",
    home_link: "Go to the home page",
    stale_form: "This form has expired. Your answers are kept: please press \u{201c}Send my answers\u{201d} again.",
    all_no_opinion: "You chose \u{201c}No opinion\u{201d} for every question. Please rate at least one question so that your answers count.",
    rate_limited: "Too many answers were sent from this device or desk in the last few minutes. Please try again in 10 minutes.",
    closed: "This survey is not taking answers at the moment. Thank you for your interest.",
    unavailable: "We could not save your answers just now. They are kept below: please press \u{201c}Send my answers\u{201d} again in a few minutes. They will be counted once.",
    unavailable_resend: "We could not save your answers just now. They are kept in this page: please press \u{201c}Try again\u{201d} in a few minutes. They will be counted once.",
    form_too_large: "The form sent was too large to read (the comment may be too long). Please go back to the form, shorten the comment and send it again.",
    form_unreadable: "The form sent could not be read. Please go back to the form and send it again.",
};

/// A campaign's status (`draft`, `open`, `closed`, `published`) in words; an unknown
/// one as it is.
pub fn campaign_status(lang: Lang, status: &str) -> &str {
    match (lang, status) {
        (Lang::Vi, "draft") => "Bản nháp",
        (Lang::Vi, "open") => "Đang nhận phiếu",
        (Lang::Vi, "closed") => "Đã kết thúc",
        (Lang::Vi, "published") => "Đã công bố",
        (Lang::En, "draft") => "Draft",
        (Lang::En, "open") => "Open",
        (Lang::En, "closed") => "Closed",
        (Lang::En, "published") => "Published",
        (_, other) => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes() {
        assert_eq!(Lang::from_code("vi"), Some(Lang::Vi));
        assert_eq!(Lang::from_code("EN-gb"), Some(Lang::En));
        assert_eq!(Lang::from_code("fr"), None);
        assert_eq!(Lang::from_query(None), Lang::Vi);
        assert_eq!(Lang::from_query(Some("en")), Lang::En);
        assert_eq!(Lang::from_query(Some("xx")), Lang::Vi);
        assert_eq!(Lang::Vi.other(), Lang::En);
    }

    #[test]
    fn counts_read_well() {
        assert_eq!(Lang::Vi.missing_heading(3), "Bạn chưa trả lời 3 câu:");
        assert_eq!(
            Lang::En.missing_heading(1),
            "You have not answered 1 question:"
        );
        assert_eq!(Lang::Vi.form_size(22), "22 câu hỏi, khoảng 3 phút.");
    }
}
