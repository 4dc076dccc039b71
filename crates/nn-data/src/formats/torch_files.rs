//! Fixture writers for the weight-import tests: a PyTorch `.pth` (a zip holding a
//! protocol-2 pickle of an `OrderedDict` of `_rebuild_tensor_v2` calls and one
//! little-endian storage per tensor, as `torch.save` lays it out) and a SafeTensors file.
//! burn reads both but has no writer for arbitrary key names, hence these.

use std::io::Write;
use std::path::Path;

/// A tensor's values: `float32`, or `int64` (batch norm's `num_batches_tracked`).
pub enum Values {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

/// One entry of a state dict, in PyTorch's layout (Linear weights `[out, in]`).
pub struct Entry {
    pub key: String,
    pub shape: Vec<usize>,
    pub values: Values,
}

impl Entry {
    pub fn f32(key: &str, shape: &[usize], values: Vec<f32>) -> Self {
        assert_eq!(shape.iter().product::<usize>(), values.len(), "{key}");
        Self {
            key: key.into(),
            shape: shape.to_vec(),
            values: Values::F32(values),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match &self.values {
            Values::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Values::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        }
    }

    fn numel(&self) -> usize {
        match &self.values {
            Values::F32(v) => v.len(),
            Values::I64(v) => v.len(),
        }
    }
}

fn unicode(out: &mut Vec<u8>, s: &str) {
    out.push(b'X');
    out.extend((s.len() as u32).to_le_bytes());
    out.extend(s.as_bytes());
}

fn int(out: &mut Vec<u8>, v: usize) {
    out.push(b'J');
    out.extend((v as i32).to_le_bytes());
}

fn global(out: &mut Vec<u8>, module: &str, name: &str) {
    out.push(b'c');
    out.extend(format!("{module}\n{name}\n").bytes());
}

fn tuple(out: &mut Vec<u8>, items: &[usize]) {
    out.push(b'(');
    items.iter().for_each(|&i| int(out, i));
    out.push(b't');
}

/// Writes `entries` as `torch.save(state_dict)` would.
pub fn write_pth(path: &Path, entries: &[Entry]) -> std::io::Result<()> {
    let mut pkl = vec![0x80, 2];
    global(&mut pkl, "collections", "OrderedDict");
    pkl.extend(b")R(");
    for (i, entry) in entries.iter().enumerate() {
        unicode(&mut pkl, &entry.key);
        global(&mut pkl, "torch._utils", "_rebuild_tensor_v2");
        pkl.extend(b"((");
        unicode(&mut pkl, "storage");
        let storage = match entry.values {
            Values::F32(_) => "FloatStorage",
            Values::I64(_) => "LongStorage",
        };
        global(&mut pkl, "torch", storage);
        unicode(&mut pkl, &i.to_string());
        unicode(&mut pkl, "cpu");
        int(&mut pkl, entry.numel());
        pkl.extend(b"tQ"); // the storage tuple, as a persistent id
        int(&mut pkl, 0); // storage offset
        tuple(&mut pkl, &entry.shape);
        let mut strides = vec![1; entry.shape.len()];
        for d in (0..entry.shape.len().saturating_sub(1)).rev() {
            strides[d] = strides[d + 1] * entry.shape[d + 1];
        }
        tuple(&mut pkl, &strides);
        pkl.push(0x89); // requires_grad = False
        global(&mut pkl, "collections", "OrderedDict"); // backward hooks
        pkl.extend(b")RtR");
    }
    pkl.extend(b"u.");

    let mut zip = zip::ZipWriter::new(std::fs::File::create(path)?);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut put = |name: &str, bytes: &[u8]| -> std::io::Result<()> {
        zip.start_file(format!("archive/{name}"), stored)
            .map_err(std::io::Error::other)?;
        zip.write_all(bytes)
    };
    put("data.pkl", &pkl)?;
    put("byteorder", b"little")?;
    for (i, entry) in entries.iter().enumerate() {
        put(&format!("data/{i}"), &entry.bytes())?;
    }
    put("version", b"3\n")?;
    zip.finish().map_err(std::io::Error::other)?;
    Ok(())
}

/// Writes `entries` as a SafeTensors file (`F32` and `I64`).
pub fn write_safetensors(path: &Path, entries: &[Entry]) -> std::io::Result<()> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for entry in entries {
        let bytes = entry.bytes();
        let dtype = match entry.values {
            Values::F32(_) => "F32",
            Values::I64(_) => "I64",
        };
        header.insert(
            entry.key.clone(),
            serde_json::json!({
                "dtype": dtype,
                "shape": entry.shape,
                "data_offsets": [data.len(), data.len() + bytes.len()],
            }),
        );
        data.extend(bytes);
    }
    let mut json = serde_json::to_vec(&header).map_err(std::io::Error::other)?;
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut file = std::fs::File::create(path)?;
    file.write_all(&(json.len() as u64).to_le_bytes())?;
    file.write_all(&json)?;
    file.write_all(&data)
}
