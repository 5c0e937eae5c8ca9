//! Made-up flags as valid GIF89a files, generated deterministically from the country code.
//!
//! The book's servers serve real flag images from `flags.zip`; this project cannot ship
//! those, so `flags_server` draws a simple flag per code (stripes or a cross, plus a
//! speckled emblem), LZW-compresses it as every GIF decoder expects, and pads the file
//! with a GIF comment to a size between 1 and 36 KB, like the real flags, so that the
//! downloads move realistic amounts of data. Same code, same bytes, every time.

use std::collections::HashMap;

/// The 16-colour palette: the usual flag colours.
const PALETTE: [[u8; 3]; 16] = [
    [255, 255, 255], // white
    [206, 17, 38],   // red
    [0, 56, 168],    // blue
    [0, 122, 61],    // green
    [252, 209, 22],  // yellow
    [0, 0, 0],       // black
    [255, 136, 0],   // orange
    [117, 170, 219], // sky blue
    [140, 0, 30],    // dark red
    [0, 33, 71],     // navy
    [0, 80, 40],     // dark green
    [200, 160, 40],  // gold
    [128, 128, 128], // grey
    [230, 230, 230], // light grey
    [128, 0, 0],     // maroon
    [0, 128, 128],   // teal
];

/// Bits per pixel index: 16 colours.
const MIN_CODE_SIZE: u8 = 4;

/// The smallest and largest file this module produces, in bytes.
pub const MIN_SIZE: usize = 1024;
/// See [`MIN_SIZE`].
pub const MAX_SIZE: usize = 36 * 1024;

/// A flag before encoding: palette indices, row by row.
pub struct FlagImage {
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// `width * height` indices into the 16-colour palette.
    pub pixels: Vec<u8>,
    /// The file size to pad to.
    target: usize,
}

/// The image for country code `cc` (case-insensitive).
pub fn flag_image(cc: &str) -> FlagImage {
    let cc = cc.to_ascii_uppercase();
    let mut rng = XorShift::new(fnv1a(cc.as_bytes()));
    let width: u16 = 160;
    let height: u16 = 80 + 8 * (rng.below(6) as u16); // 80..=120: 2:1 to 4:3, like flags
    let pixels = draw_flag(&mut rng, usize::from(width), usize::from(height));
    // Real flags are mostly small, a few are large: skew the target towards 1 KB.
    let u = rng.below(1000) as usize;
    let target = MIN_SIZE + (MAX_SIZE - MIN_SIZE) * u * u / (1000 * 1000);
    FlagImage {
        width,
        height,
        pixels,
        target,
    }
}

/// The GIF for country code `cc` (case-insensitive): always the same bytes for a code.
pub fn flag_gif(cc: &str) -> Vec<u8> {
    let image = flag_image(cc);
    encode(
        &cc.to_ascii_uppercase(),
        image.width,
        image.height,
        &image.pixels,
        image.target,
    )
}

/// Draws the flag as palette indices, row by row.
fn draw_flag(rng: &mut XorShift, width: usize, height: usize) -> Vec<u8> {
    let mut colors = [0u8; 4];
    for i in 0..colors.len() {
        loop {
            let c = rng.below(12) as u8;
            if !colors[..i].contains(&c) {
                colors[i] = c;
                break;
            }
        }
    }
    let layout = rng.below(4);
    let stripes = 2 + rng.below(2) as usize;
    let mut pixels = vec![0u8; width * height];
    for y in 0..height {
        for x in 0..width {
            pixels[y * width + x] = match layout {
                0 => colors[y * stripes / height], // horizontal stripes
                1 => colors[x * stripes / width],  // vertical stripes
                2 => {
                    // A Nordic cross.
                    let (cx, cy, arm) = (width * 3 / 8, height / 2, height / 8);
                    if x.abs_diff(cx) < arm || y.abs_diff(cy) < arm {
                        colors[1]
                    } else {
                        colors[0]
                    }
                }
                _ => {
                    // A diagonal split.
                    if x * height < (height - y) * width {
                        colors[0]
                    } else {
                        colors[1]
                    }
                }
            };
        }
    }
    // The emblem: a speckled disc, the detail that makes real flags bigger files.
    let (cx, cy) = (width / 2, height / 2);
    let radius = height / 5 + rng.below(height as u64 / 6) as usize;
    let speckle = 1 + rng.below(60);
    for y in cy - radius..cy + radius {
        for x in cx - radius..cx + radius {
            if x.abs_diff(cx).pow(2) + y.abs_diff(cy).pow(2) < radius * radius {
                pixels[y * width + x] = if rng.below(100) < speckle {
                    rng.below(16) as u8
                } else {
                    colors[2]
                };
            }
        }
    }
    pixels
}

/// Writes the GIF89a file: header, palette, a comment padding it to about `target`
/// bytes, the image, the trailer.
fn encode(cc: &str, width: u16, height: u16, pixels: &[u8], target: usize) -> Vec<u8> {
    let mut image = vec![0x2C]; // image descriptor
    image.extend_from_slice(&0u16.to_le_bytes()); // left
    image.extend_from_slice(&0u16.to_le_bytes()); // top
    image.extend_from_slice(&width.to_le_bytes());
    image.extend_from_slice(&height.to_le_bytes());
    image.push(0); // no local colour table, not interlaced
    image.push(MIN_CODE_SIZE);
    push_sub_blocks(&mut image, &lzw_encode(MIN_CODE_SIZE, pixels));

    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&width.to_le_bytes());
    gif.extend_from_slice(&height.to_le_bytes());
    // Global colour table of 2^(3+1) = 16 entries, 4 bits of colour resolution.
    gif.extend_from_slice(&[0b1011_0011, 0, 0]);
    for rgb in PALETTE {
        gif.extend_from_slice(&rgb);
    }

    // A comment extension costs 3 bytes plus one length byte per 255 bytes of text.
    let room = target.saturating_sub(gif.len() + image.len() + 1);
    if room > 4 {
        let mut text_len = room - 3;
        while text_len + text_len.div_ceil(255) + 3 > room {
            text_len -= 1;
        }
        let note = format!(
            "A made-up flag for {cc}, drawn by the concurrent-futures flags_server \
             example; not the real flag. "
        );
        let text: Vec<u8> = note.bytes().cycle().take(text_len).collect();
        gif.extend_from_slice(&[0x21, 0xFE]);
        push_sub_blocks(&mut gif, &text);
    }
    gif.extend_from_slice(&image);
    gif.push(0x3B); // trailer
    gif
}

/// Appends `data` as GIF data sub-blocks (at most 255 bytes each) and the terminator.
fn push_sub_blocks(out: &mut Vec<u8>, data: &[u8]) {
    for chunk in data.chunks(255) {
        out.push(chunk.len() as u8);
        out.extend_from_slice(chunk);
    }
    out.push(0);
}

/// GIF's variable-width LZW: codes grow from `min_code_size + 1` to 12 bits, least
/// significant bit first; a clear code starts every new table.
fn lzw_encode(min_code_size: u8, pixels: &[u8]) -> Vec<u8> {
    let clear = 1u16 << min_code_size;
    let end = clear + 1;
    let mut bits = BitWriter::default();
    let mut table: HashMap<(u16, u8), u16> = HashMap::new();
    let mut next_code = end + 1;
    let mut width = min_code_size + 1;

    bits.write(clear, width);
    let Some((&first, rest)) = pixels.split_first() else {
        bits.write(end, width);
        return bits.finish();
    };
    let mut prefix = u16::from(first);
    for &pixel in rest {
        if let Some(&code) = table.get(&(prefix, pixel)) {
            prefix = code;
            continue;
        }
        bits.write(prefix, width);
        // The decoder adds its table entry one code later than we do, so the width
        // grows once the codes written so far fill it, as in every GIF encoder.
        if next_code > (1 << width) - 1 && width < 12 {
            width += 1;
        }
        if next_code < 4096 {
            table.insert((prefix, pixel), next_code);
            next_code += 1;
        } else {
            bits.write(clear, width);
            table.clear();
            next_code = end + 1;
            width = min_code_size + 1;
        }
        prefix = u16::from(pixel);
    }
    bits.write(prefix, width);
    if next_code > (1 << width) - 1 && width < 12 {
        width += 1;
    }
    bits.write(end, width);
    bits.finish()
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u32,
    len: u8,
}

impl BitWriter {
    fn write(&mut self, code: u16, width: u8) {
        self.acc |= u32::from(code) << self.len;
        self.len += width;
        while self.len >= 8 {
            self.bytes.push(self.acc as u8);
            self.acc >>= 8;
            self.len -= 8;
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.len > 0 {
            self.bytes.push(self.acc as u8);
        }
        self.bytes
    }
}

/// FNV-1a: a stable hash (std's `DefaultHasher` may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A tiny, stable PRNG (xorshift64*), so the images never change with a crate version.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        XorShift(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) % n
    }
}
