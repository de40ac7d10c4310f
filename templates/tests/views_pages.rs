//! Thank you, already answered, not found, error, and the poster.

use sipas_templates::*;

#[test]
fn thanks_page_renders() {
    let html = thanks_page(&ThanksPage {
        lang: Lang::Vi,
        path: Some("/s/T/thanks".into()),
        unit_name: Some("UBND <xã> A".into()),
        service_point_name: Some("Quầy 1".into()),
        demo: true,
        next_form: None,
    })
    .into_string();
    assert!(html.contains(r#"<html lang="vi">"#));
    assert!(html.contains("<h1>Cảm ơn bạn đã đánh giá</h1>"));
    assert!(html.contains("UBND &lt;xã&gt; A · Quầy 1"));
    assert!(html.contains("THỬ NGHIỆM"));
    assert!(html.contains(r#"href="/s/T/thanks?lang=en""#));
    assert!(!html.contains("<script"));

    let en = thanks_page(&ThanksPage {
        lang: Lang::En,
        ..Default::default()
    })
    .into_string();
    assert!(en.contains(r#"<html lang="en">"#));
    assert!(en.contains("Thank you"));
    assert!(!en.contains("?lang="), "no switch without a path");

    // On a desk's tablet, the page leads to the next person's form.
    let kiosk = thanks_page(&ThanksPage {
        lang: Lang::Vi,
        next_form: Some("/k/T".into()),
        ..Default::default()
    })
    .into_string();
    assert!(kiosk.contains(r#"href="/k/T""#) && kiosk.contains("người tiếp theo"));
    assert!(!kiosk.contains("đóng trang này"));
}

#[test]
fn already_answered_page_renders() {
    let html = already_answered_page(&AlreadyAnsweredPage {
        lang: Lang::Vi,
        path: None,
        unit_name: Some("UBND xã B".into()),
        demo: false,
    })
    .into_string();
    assert!(html.contains("<h1>Phiếu này đã được trả lời</h1>"));
    assert!(
        html.contains("đã được ghi nhận"),
        "the answer is said to be received"
    );
    assert!(!html.contains("không được lưu"));
    assert!(html.contains("UBND xã B"));
    let en = already_answered_page(&AlreadyAnsweredPage {
        lang: Lang::En,
        ..Default::default()
    })
    .into_string();
    assert!(en.contains("already been answered"));
}

#[test]
fn not_found_page_in_plain_vietnamese() {
    let html = not_found_page(&NotFoundPage {
        lang: Lang::Vi,
        path: Some("/s/bad".into()),
    })
    .into_string();
    assert!(html.contains(r#"<html lang="vi">"#));
    assert!(html.contains("<title>Mã khảo sát không hợp lệ hoặc đã hết hạn</title>"));
    assert!(html.contains("<h1>Mã khảo sát không hợp lệ hoặc đã hết hạn</h1>"));
    assert!(html.contains("Bộ phận Một cửa"));
    assert!(html.contains(r#"href="/s/bad?lang=en""#));
    let en = not_found_page(&NotFoundPage {
        lang: Lang::En,
        path: None,
    })
    .into_string();
    assert!(en.contains("not valid or has expired"));
}

#[test]
fn error_page_renders() {
    let generic = error_page(&ErrorPage::default()).into_string();
    assert!(generic.contains("<h1>Đã có lỗi xảy ra</h1>"));
    assert!(generic.contains("thử lại sau ít phút"));
    assert!(!generic.contains("Thử lại</a>"));

    let html = error_page(&ErrorPage {
        lang: Lang::En,
        path: None,
        message: Some("Too <many> requests".into()),
        retry_href: Some("/s/T?lang=en".into()),
        reference: Some("req-1".into()),
        resend: Vec::new(),
    })
    .into_string();
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains("Too &lt;many&gt; requests"));
    assert!(html.contains(r#"<a href="/s/T?lang=en">Try again</a>"#));
    assert!(html.contains("<code>req-1</code>"));
}

#[test]
fn short_pages_are_tiny() {
    let pages = [
        thanks_page(&ThanksPage::default()).into_string(),
        already_answered_page(&AlreadyAnsweredPage::default()).into_string(),
        not_found_page(&NotFoundPage::default()).into_string(),
        error_page(&ErrorPage::default()).into_string(),
    ];
    for p in pages {
        assert!(p.len() < 6_000, "{} bytes", p.len());
        assert!(!p.contains("<script") && !p.contains("https://"));
    }
}

#[test]
fn poster_renders() {
    let url = "https://sipas.example.vn/s/EQFoBeR6x0aZm3_-Qk8";
    let html = poster_page(&PosterPage {
        campaign_name: "Khảo sát 2021".into(),
        unit_name: "UBND <phường> Nam Hà".into(),
        service_point_name: "Quầy 2 & 3".into(),
        url: url.into(),
        demo: false,
    })
    .unwrap()
    .into_string();
    assert!(html.contains(r#"<html lang="vi">"#));
    assert!(html.contains("Quét mã để đánh giá mức độ hài lòng"));
    assert!(html.contains(r#"lang="en">Scan the code to rate our service"#));
    assert!(html.contains("UBND &lt;phường&gt; Nam Hà"));
    assert!(html.contains("Quầy 2 &amp; 3"));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(!html.contains("<?xml"));
    assert!(html.contains("@page{size:A4"));
    assert!(html.contains("@media print"));
    assert!(html.contains(">sipas.example.vn/s/EQFoBeR6x0aZm3_-Qk8</p>"));
    assert!(html.contains(&format!(r#"aria-label="Mã QR: {url}""#)));
    assert!(!html.contains("<script") && !html.contains("<button"));
    assert!(!html.contains("THỬ NGHIỆM"));
    assert!(html.len() < 20_000, "{}", html.len());
}

#[test]
fn poster_rejects_an_impossible_url() {
    let v = PosterPage {
        url: "x".repeat(4_000),
        ..Default::default()
    };
    assert!(poster_page(&v).is_err());
}
