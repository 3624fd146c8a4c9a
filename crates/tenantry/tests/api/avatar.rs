//! Profile pictures: every accepted format, every refusal with a clear 4xx, metadata (EXIF, GPS)
//! gone from the stored file, orientation applied, caching headers, removal, and account deletion
//! erasing the files.

use crate::db_tests;
use crate::helpers::*;
use image::{ImageFormat, Rgb, RgbImage};
use reqwest::{Method, StatusCode};
use std::io::Cursor;

db_tests!(
    each_format_is_accepted_and_served_square,
    bad_pictures_are_refused_clearly,
    metadata_is_stripped_and_orientation_applied,
    removing_and_account_deletion_erase_the_files
);

const BOUNDARY: &str = "tenantry-test-boundary-7MA4YWxkTrZu0gW";

/// A multipart body with one part named `file`.
fn multipart(filename: &str, content_type: &str, bytes: &[u8]) -> Vec<u8> {
    let mut body =
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n").into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(
    app: &TestApp, token: &str, filename: &str, content_type: &str, bytes: &[u8],
) -> (StatusCode, serde_json::Value) {
    let res = app
        .client
        .put(format!("{}/api/v1/me/avatar", app.url))
        .bearer_auth(token)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(multipart(filename, content_type, bytes))
        .send()
        .await
        .expect("sent");
    let status = res.status();
    (status, res.json().await.unwrap_or_default())
}

/// Left half red, right half blue.
fn picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, _| if x < w / 2 { Rgb([220, 20, 20]) } else { Rgb([20, 20, 220]) })
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    match format {
        ImageFormat::Gif | ImageFormat::WebP => {
            image::DynamicImage::ImageRgb8(img.clone()).to_rgba8().write_to(&mut out, format).expect("encode")
        }
        _ => img.write_to(&mut out, format).expect("encode"),
    }
    out.into_inner()
}

async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    app.client.get(format!("{}{url}", app.url)).send().await.expect("sent")
}

async fn each_format_is_accepted_and_served_square(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let img = picture(300, 200);
    for (format, name, mime) in [
        (ImageFormat::Png, "a.png", "image/png"),
        (ImageFormat::Jpeg, "a.jpg", "image/jpeg"),
        (ImageFormat::WebP, "a.webp", "image/webp"),
        (ImageFormat::Gif, "a.gif", "image/gif"),
    ] {
        let (status, body) = upload(&app, &admin.token, name, mime, &encode(&img, format)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
        let url = body["avatar_url"].as_str().expect("url").to_owned();
        let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
        assert_eq!(me["avatar_url"], url.as_str());
        let res = fetch(&app, &url).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "image/png");
        assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        let stored = image::load_from_memory(&res.bytes().await.unwrap()).expect("a picture");
        assert_eq!((stored.width(), stored.height()), (256, 256), "{name}");
        let small =
            image::load_from_memory(&fetch(&app, &url.replace("/256.png", "/64.png")).await.bytes().await.unwrap())
                .expect("small");
        assert_eq!((small.width(), small.height()), (64, 64));
    }
    assert_eq!(fetch(&app, "/avatars/usr_000000000000000000000000/1/256.png").await.status(), StatusCode::NOT_FOUND);
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert_eq!(
        fetch(&app, &me["avatar_url"].as_str().unwrap().replace("/256.png", "/128.png")).await.status(),
        StatusCode::NOT_FOUND,
        "only the kept sizes"
    );
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A PNG whose header claims `w` × `h` pixels (the data is a few bytes: a would-be bomb).
fn huge_png(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    png.extend(png_chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

async fn bad_pictures_are_refused_clearly(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let png = encode(&picture(300, 200), ImageFormat::Png);
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        ("empty.png", Vec::new(), StatusCode::UNPROCESSABLE_ENTITY, "is empty"),
        ("truncated.png", png[..png.len() / 2].to_vec(), StatusCode::UNPROCESSABLE_ENTITY, "could not be read"),
        (
            "notes.png",
            b"just some text, not a picture at all".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "is not a JPEG, PNG, WebP or GIF",
        ),
        ("huge.png", huge_png(10_000, 6_000), StatusCode::UNPROCESSABLE_ENTITY, "60 megapixels"),
        ("big.png", vec![0u8; 5 * 1024 * 1024 + 1], StatusCode::PAYLOAD_TOO_LARGE, "larger than"),
    ];
    for (name, bytes, expected, phrase) in cases {
        let (status, problem) = upload(&app, &admin.token, name, "image/png", &bytes).await;
        assert_eq!(status, expected, "{name}: {problem}");
        let text = problem.to_string();
        assert!(text.contains(phrase), "{name}: {text}");
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_eq!(problem["errors"][0]["field"], "file");
        }
    }
    // No part named `file`.
    let res = app
        .client
        .put(format!("{}/api/v1/me/avatar", app.url))
        .bearer_auth(&admin.token)
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--{BOUNDARY}--\r\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert!(me["avatar_url"].is_null(), "nothing was stored");
}

/// An EXIF block with orientation 6 (turn 90° clockwise) and a GPS latitude.
fn exif_app1() -> Vec<u8> {
    let mut tiff = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&[0x00, 0x02]);
    tiff.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00]);
    tiff.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x26]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    tiff.extend_from_slice(&[0x00, 0x01]);
    tiff.extend_from_slice(&[0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, b'N', 0, 0, 0]);
    tiff.extend_from_slice(&[0, 0, 0, 0]);
    let mut payload = b"Exif\x00\x00".to_vec();
    payload.extend_from_slice(&tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

async fn metadata_is_stripped_and_orientation_applied(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let jpeg = encode(&picture(300, 200), ImageFormat::Jpeg);
    let mut with_exif = jpeg[..2].to_vec();
    with_exif.extend(exif_app1());
    with_exif.extend_from_slice(&jpeg[2..]);
    assert!(with_exif.windows(4).any(|w| w == b"Exif"));
    let (status, body) = upload(&app, &admin.token, "gps.jpg", "image/jpeg", &with_exif).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let url = body["avatar_url"].as_str().unwrap();
    let stored = fetch(&app, url).await.bytes().await.unwrap().to_vec();
    for marker in [&b"Exif"[..], b"GPS", b"MM\x00\x2a", b"eXIf", b"tEXt", b"iTXt"] {
        assert!(
            !stored.windows(marker.len()).any(|w| w == marker),
            "{:?} is in the stored file",
            String::from_utf8_lossy(marker)
        );
    }
    // Turned 90° clockwise: the red left half is now on top.
    let img = image::load_from_memory(&stored).unwrap().to_rgb8();
    let (top, bottom) = (img.get_pixel(128, 20), img.get_pixel(128, 235));
    assert!(top[0] > 150 && top[2] < 100, "top is red after turning: {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 100, "bottom is blue after turning: {bottom:?}");
}

async fn removing_and_account_deletion_erase_the_files(b: Backend) {
    let app = spawn_app(b).await;
    let admin = app.signup("Acme", "ana@example.com").await;
    let png = encode(&picture(120, 120), ImageFormat::Png);
    let (_, first) = upload(&app, &admin.token, "a.png", "image/png", &png).await;
    let first_url = first["avatar_url"].as_str().unwrap().to_owned();
    app.advance(5);
    let (_, second) = upload(&app, &admin.token, "b.png", "image/png", &png).await;
    let second_url = second["avatar_url"].as_str().unwrap().to_owned();
    assert_ne!(first_url, second_url, "a new upload gets a new address");
    assert_eq!(fetch(&app, &first_url).await.status(), StatusCode::NOT_FOUND, "the replaced picture is gone");
    let (status, _) = app.call(Method::DELETE, "/api/v1/me/avatar", Some(&admin.token), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(fetch(&app, &second_url).await.status(), StatusCode::NOT_FOUND);
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&admin.token), None).await;
    assert!(me["avatar_url"].is_null());

    let (_, third) = upload(&app, &admin.token, "c.png", "image/png", &png).await;
    assert!(third["avatar_url"].is_string());
    let files = |dir: &std::path::Path| walk(&dir.join("avatars"));
    assert_eq!(files(app.dir.path()), 2, "two sizes stored");
    let (status, _) = app
        .call(Method::DELETE, "/api/v1/account", Some(&admin.token), Some(serde_json::json!({"confirm_name": "Acme"})))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(files(app.dir.path()), 0, "deleting the account erases its stored pictures");
}

fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| if e.path().is_dir() { walk(&e.path()) } else { 1 }).sum())
        .unwrap_or(0)
}
