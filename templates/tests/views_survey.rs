//! The survey form: fields, names, pre-checked answers, missing markers, language, escaping.

use std::collections::{BTreeMap, BTreeSet};

use sipas_templates::survey::{
    COMMENT_MAX_CHARS, FIELD_COMMENT, FIELD_HONEYPOT, FIELD_ISSUED_AT, FIELD_NONCE,
};
use sipas_templates::{CriterionView, ElementView, Lang, SurveyForm, survey_form};

fn crit(code: &str, text: &str) -> CriterionView {
    CriterionView {
        code: code.into(),
        text: text.into(),
    }
}

fn form() -> SurveyForm {
    SurveyForm {
        lang: Lang::Vi,
        path: "/s/TOKEN123".into(),
        campaign_name: "Khảo sát 2021".into(),
        unit_name: "UBND phường Nam Hà".into(),
        service_point_name: Some("Quầy số 2".into()),
        demo: false,
        elements: vec![
            ElementView {
                code: "E1".into(),
                name: "Tiếp cận dịch vụ".into(),
                criteria: vec![crit("TC1", "Nơi ngồi chờ"), crit("TC2", "Trang thiết bị")],
            },
            ElementView {
                code: "E2".into(),
                name: "Thủ tục hành chính".into(),
                criteria: vec![crit("TT1", "Niêm yết công khai")],
            },
        ],
        answers: BTreeMap::new(),
        missing: BTreeSet::new(),
        comment: String::new(),
        nonce: "NONCE-abc".into(),
        issued_at: 1_700_000_000,
        notice: None,
    }
}

fn render(v: &SurveyForm) -> String {
    survey_form(v).into_string()
}

/// The `<fieldset …>…</fieldset>` of a criterion.
fn fieldset<'a>(html: &'a str, code: &str) -> &'a str {
    let start = html
        .find(&format!(r#"id="q-{code}""#))
        .unwrap_or_else(|| panic!("no fieldset for {code}"));
    let start = html[..start].rfind("<fieldset").unwrap();
    let end = start + html[start..].find("</fieldset>").unwrap();
    &html[start..end]
}

#[test]
fn renders_each_criterion_as_a_fieldset_with_six_choices() {
    let html = render(&form());
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(r#"<html lang="vi">"#));
    for code in ["TC1", "TC2", "TT1"] {
        let fs = fieldset(&html, code);
        assert!(fs.contains("<legend>"), "{fs}");
        for value in 0..=5 {
            assert!(
                fs.contains(&format!(
                    r#"<input type="radio" name="{code}" value="{value}">"#
                )),
                "{code}={value} in {fs}"
            );
        }
        assert_eq!(fs.matches("<label>").count(), 6);
        assert!(!fs.contains("checked"));
        assert!(!fs.contains("aria-invalid"));
    }
    let tc1 = fieldset(&html, "TC1");
    for label in [
        "<b>1</b> Rất không hài lòng",
        "<b>2</b> Không hài lòng",
        "<b>3</b> Bình thường",
        "<b>4</b> Hài lòng",
        "<b>5</b> Rất hài lòng",
        "Không có ý kiến",
    ] {
        assert!(tc1.contains(label), "{label}");
    }
    assert!(tc1.contains("Câu 1"));
    assert!(
        fieldset(&html, "TT1").contains("Câu 3"),
        "numbering runs on"
    );
}

#[test]
fn shows_what_is_rated_and_sections() {
    let html = render(&form());
    assert!(html.contains("Khảo sát 2021"));
    assert!(html.contains("<h1>UBND phường Nam Hà</h1>"));
    assert!(html.contains("Quầy số 2"));
    assert!(html.contains("Tiếp cận dịch vụ</h2>"));
    assert!(html.contains("Thủ tục hành chính</h2>"));
    assert!(html.contains("Phần 2/2"));
    assert!(html.contains("ẩn danh"), "privacy line");
    assert!(html.contains("IP"));
    assert!(!html.contains("THỬ NGHIỆM"), "no demo banner");
    assert!(!html.contains("role=\"alert\""));
}

#[test]
fn hidden_fields_honeypot_comment_and_submit() {
    let html = render(&form());
    // No action: it posts to the document's own URL, `?lang=` included.
    assert!(html.contains(r#"<form method="post" novalidate>"#));
    assert!(html.contains(&format!(
        r#"<input type="hidden" name="{FIELD_NONCE}" value="NONCE-abc">"#
    )));
    assert!(html.contains(&format!(
        r#"<input type="hidden" name="{FIELD_ISSUED_AT}" value="1700000000">"#
    )));
    // The honeypot: labelled, hidden from assistive technology, not tabbable, no autofill.
    let hp_start = html.find(r#"<div class="hp" aria-hidden="true">"#).unwrap();
    let hp = &html[hp_start..hp_start + html[hp_start..].find("</div>").unwrap()];
    assert!(hp.contains(&format!(
        r#"<label for="{FIELD_HONEYPOT}">Để trống ô này</label>"#
    )));
    assert!(hp.contains(&format!(r#"name="{FIELD_HONEYPOT}""#)));
    assert!(hp.contains(r#"tabindex="-1""#));
    assert!(hp.contains(r#"autocomplete="off""#));
    assert!(html.contains(&format!(
        r#"<textarea id="comment" name="{FIELD_COMMENT}" rows="4" maxlength="{COMMENT_MAX_CHARS}""#
    )));
    assert!(html.contains(r#"<button type="submit">Gửi đánh giá</button>"#));
    // No JavaScript, no outside resources.
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn language_switch_and_english() {
    let vi = render(&form());
    assert!(vi.contains(r#"href="/s/TOKEN123?lang=en""#));
    assert!(vi.contains(">English</a>"));

    let mut v = form();
    v.lang = Lang::En;
    let en = render(&v);
    assert!(en.contains(r#"<html lang="en">"#));
    assert!(en.contains(r#"href="/s/TOKEN123?lang=vi""#));
    assert!(en.contains(r#"lang="vi" hreflang="vi">Tiếng Việt</a>"#));
    assert!(
        !en.contains("action="),
        "posts to its own URL, ?lang=en included"
    );
    assert!(en.contains("<b>1</b> Very dissatisfied"));
    assert!(en.contains("No opinion"));
    assert!(en.contains("Send my answers"));
}

#[test]
fn re_render_prechecks_answers_and_marks_missing() {
    let mut v = form();
    v.answers.insert("TC1".into(), 4);
    v.answers.insert("TT1".into(), 0);
    v.missing.insert("TC2".into());
    v.comment = "Cán bộ tốt".into();
    let html = render(&v);

    let tc1 = fieldset(&html, "TC1");
    assert!(tc1.contains(r#"name="TC1" value="4" checked>"#), "{tc1}");
    assert_eq!(tc1.matches("checked").count(), 1);
    let tt1 = fieldset(&html, "TT1");
    assert!(
        tt1.contains(r#"name="TT1" value="0" checked>"#),
        "no opinion kept"
    );

    let tc2 = fieldset(&html, "TC2");
    assert!(tc2.contains(r#"class="bad""#));
    assert!(tc2.contains(r#"aria-invalid="true""#));
    assert!(tc2.contains(r#"aria-describedby="e-TC2""#));
    assert!(tc2.contains(r#"id="e-TC2""#));
    assert!(
        tc2.contains("Lỗi: Bạn chưa trả lời câu này"),
        "said in words"
    );
    assert!(!fieldset(&html, "TC1").contains("aria-invalid"));

    // The summary at the top, before the questions, linking to the fieldset.
    let alert = html.find(r#"role="alert""#).expect("error summary");
    assert!(alert < html.find("<fieldset").unwrap());
    assert!(html.contains("Bạn chưa trả lời 1 câu:"));
    assert!(html.contains(r##"<a href="#q-TC2">Câu 2: Trang thiết bị</a>"##));
    assert!(html.contains("<title>Lỗi: "));
    assert!(html.contains(">Cán bộ tốt</textarea>"));
}

#[test]
fn summary_lists_missing_in_questionnaire_order_and_ignores_unknown_codes() {
    let mut v = form();
    v.missing = ["TT1", "TC1", "NOPE"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let html = render(&v);
    assert!(html.contains("Bạn chưa trả lời 2 câu:"));
    let a = html.find("#q-TC1").unwrap();
    let b = html.find("#q-TT1").unwrap();
    assert!(a < b);
    assert!(!html.contains("NOPE"));

    // Only unknown codes: no summary at all.
    v.missing = ["NOPE".to_string()].into();
    assert!(!render(&v).contains("role=\"alert\""));
}

#[test]
fn escapes_names_texts_and_comment() {
    let mut v = form();
    v.unit_name = "<script>alert(1)</script> & Co".into();
    v.campaign_name = "\"quoted\" <b>".into();
    v.service_point_name = Some("Quầy <2>".into());
    v.elements[0].name = "<i>E</i>".into();
    v.elements[0].criteria[0].text = "a < b & c > d".into();
    v.comment = "</textarea><script>x</script>".into();
    v.path = "/s/x\"onmouseover=\"y".into();
    v.missing.insert("TC1".into());
    let html = render(&v);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
    assert!(html.contains("&quot;quoted&quot; &lt;b&gt;"));
    assert!(html.contains("Quầy &lt;2&gt;"));
    assert!(html.contains("&lt;i&gt;E&lt;/i&gt;"));
    assert!(html.contains("a &lt; b &amp; c &gt; d"));
    assert!(html.contains("&lt;/textarea&gt;&lt;script&gt;x&lt;/script&gt;</textarea>"));
    assert!(!html.contains("x\"onmouseover"));
    assert!(html.contains("/s/x&quot;onmouseover=&quot;y"));
}

#[test]
fn demo_banner_and_notice() {
    let mut v = form();
    v.demo = true;
    v.notice = Some("Bạn gửi hơi nhanh, xin kiểm tra lại.".into());
    let html = render(&v);
    assert!(html.contains(r#"<p class="demo">DỮ LIỆU THỬ NGHIỆM"#));
    assert!(html.contains(r#"role="status""#));
    assert!(html.contains("Bạn gửi hơi nhanh"));
}

#[test]
fn no_desk_no_desk_line() {
    let mut v = form();
    v.service_point_name = None;
    assert!(!render(&v).contains(r#"class="who""#));
}

#[test]
fn weight_of_the_22_criterion_form_stays_small() {
    let mut v = form();
    let long = "Trang thiết bị phục vụ người dân, tổ chức dễ sử dụng";
    v.elements = (1..=5)
        .map(|e| ElementView {
            code: format!("E{e}"),
            name: "Công chức trực tiếp giải quyết công việc".into(),
            criteria: Vec::new(),
        })
        .collect();
    for i in 0..22 {
        v.elements[i % 5]
            .criteria
            .push(crit(&format!("C{i}"), long));
    }
    let html = render(&v);
    assert!(html.len() < 20_000, "{} bytes", html.len());
}

#[test]
fn a_fresh_form_is_a_shared_part_its_hidden_fields_and_a_short_end() {
    let mut v = form();
    v.path = sipas_templates::layout::OWN_URL.to_owned();
    let (shared, after) = sipas_templates::survey::fresh_form_parts(&v);
    let fields = sipas_templates::survey::hidden_fields(&v.nonce, v.issued_at).into_string();
    assert_eq!(format!("{shared}{fields}{after}"), render(&v));
    assert!(!shared.contains("NONCE-abc") && !shared.contains("1700000000"));
    assert!(!shared.contains("TOKEN123"), "the same at every path");
    assert!(
        shared.contains(r#"href="?lang=en""#),
        "the switch stays on this URL"
    );
    assert!(after.starts_with("</form>") && after.ends_with("</html>"));
    assert!(after.len() < 300, "{} bytes after the fields", after.len());
}
