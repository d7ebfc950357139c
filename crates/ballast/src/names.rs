//! The names of configuration choices, as serde spells them (`"ledoit-wolf"`, `"max-sharpe"`).
//! Each choice is an enum whose variants are the one list of its names: files, command-line
//! flags (`clap::ValueEnum` with the same kebab-case names), error messages and output all use
//! that spelling, through [`variant_name`] and [`variant_names`].

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::Serialize;

/// A deserializer that only records the variant names a derived enum asks for.
struct Capture(&'static [&'static str]);

impl<'de> Deserializer<'de> for &mut Capture {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not an enum"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = fields;
        Err(de::Error::custom("captured"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0 = variants;
        Err(de::Error::custom("captured"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// Every name of an enum that derives `Deserialize` (in declaration order); empty for other
/// types.
pub fn variant_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut c = Capture(&[]);
    let _ = T::deserialize(&mut c);
    c.0
}

/// Every key of a struct that derives `Deserialize` (in declaration order): the keys a file
/// section takes, and so the options a front end offers. Empty for other types.
pub fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut c = Capture(&[]);
    let _ = T::deserialize(&mut c);
    c.0
}

/// The name of a unit variant as it is written in files and on the command line.
pub fn variant_name<T: Serialize + DeserializeOwned>(value: &T) -> &'static str {
    let spelled = match toml::Value::try_from(value) {
        Ok(toml::Value::String(s)) => s,
        _ => return "",
    };
    variant_names::<T>()
        .iter()
        .copied()
        .find(|n| *n == spelled)
        .unwrap_or("")
}

/// `"a, b, c"`: the names of an enum for a message.
pub fn list<T: DeserializeOwned>() -> String {
    variant_names::<T>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    #[serde(rename_all = "kebab-case")]
    enum Demo {
        LedoitWolf,
        Oas,
    }

    #[test]
    fn names_come_from_serde() {
        assert_eq!(variant_names::<Demo>(), &["ledoit-wolf", "oas"]);
        assert_eq!(variant_name(&Demo::LedoitWolf), "ledoit-wolf");
        assert_eq!(list::<Demo>(), "ledoit-wolf, oas");
        assert!(variant_names::<f64>().is_empty());
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Keys {
            ewma_lambda: f64,
            repair_psd: bool,
        }
        assert_eq!(field_names::<Keys>(), &["ewma_lambda", "repair_psd"]);
    }
}
