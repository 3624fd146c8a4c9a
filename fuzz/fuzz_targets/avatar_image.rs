//! Profile picture processing (`avatar_image::process`) on any bytes: never panics; a picture it
//! accepts gives exactly one PNG per kept size, each of which decodes to a square of that size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantry_app::avatar_image::{self, SIZES};

fuzz_target!(|data: &[u8]| {
    let Ok(processed) = avatar_image::process(data) else { return };
    let sizes: Vec<u32> = processed.images.iter().map(|(size, _)| *size).collect();
    assert_eq!(sizes, SIZES);
    for (size, png) in &processed.images {
        let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
            .unwrap_or_else(|e| panic!("the {size} px PNG does not decode: {e}"));
        assert_eq!((img.width(), img.height()), (*size, *size));
    }
});
