//! Money in integer minor units. No floats anywhere near money.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An ISO 4217 currency the wallet supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Currency {
    /// Indonesian rupiah.
    IDR,
    /// Chinese yuan renminbi.
    CNY,
    /// Singapore dollar.
    SGD,
    /// US dollar.
    USD,
}

impl Currency {
    /// Minor-unit exponent per ISO 4217 (IDR is 2 even though nobody writes sen).
    pub fn exponent(self) -> u32 {
        match self {
            Currency::IDR | Currency::CNY | Currency::SGD | Currency::USD => 2,
        }
    }

    /// Decimals shown to people: rupiah amounts are written without decimals.
    pub fn display_decimals(self) -> u32 {
        match self {
            Currency::IDR => 0,
            _ => self.exponent(),
        }
    }

    /// The ISO code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::IDR => "IDR",
            Currency::CNY => "CNY",
            Currency::SGD => "SGD",
            Currency::USD => "USD",
        }
    }

    /// Parses an ISO code.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        match code {
            "IDR" => Ok(Currency::IDR),
            "CNY" => Ok(Currency::CNY),
            "SGD" => Ok(Currency::SGD),
            "USD" => Ok(Currency::USD),
            other => Err(MoneyError::UnknownCurrency(other.to_owned())),
        }
    }
}

/// Errors of money arithmetic and parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The code is not in the currency table.
    #[error("unknown currency {0}")]
    UnknownCurrency(String),
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {0} and {1}")]
    CurrencyMismatch(&'static str, &'static str),
    /// The result does not fit in 64 bits.
    #[error("amount overflow")]
    Overflow,
}

/// An amount of money: minor units and a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units (sen, fen, cents).
    pub minor: i64,
    /// Its currency.
    pub currency: Currency,
}

impl Money {
    /// An amount in minor units.
    pub fn new(minor: i64, currency: Currency) -> Self {
        Self { minor, currency }
    }

    /// A whole number of major units (`Money::major(15_000, IDR)` is Rp 15.000).
    pub fn major(major: i64, currency: Currency) -> Result<Self, MoneyError> {
        let factor = 10i64.pow(currency.exponent());
        major
            .checked_mul(factor)
            .map(|minor| Self { minor, currency })
            .ok_or(MoneyError::Overflow)
    }

    /// Sum of two amounts of one currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    /// Difference of two amounts of one currency.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|minor| Money::new(minor, self.currency))
            .ok_or(MoneyError::Overflow)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(
                self.currency.code(),
                other.currency.code(),
            ))
        }
    }
}

impl fmt::Display for Money {
    /// `IDR 1,500,000` or `CNY 12.50`: grouping by thousands, the currency's display decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = self.currency.exponent();
        let shown = self.currency.display_decimals();
        let abs = self.minor.unsigned_abs();
        let unit = 10u64.pow(exp);
        let major = abs / unit;
        let frac = abs % unit;
        let digits = major.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if self.minor < 0 { "-" } else { "" };
        write!(f, "{} {}{}", self.currency.code(), sign, grouped)?;
        if shown > 0 {
            let frac_shown = frac / 10u64.pow(exp - shown);
            write!(f, ".{:0width$}", frac_shown, width = shown as usize)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_shows_without_decimals_and_groups_thousands() {
        let m = Money::major(1_500_000, Currency::IDR).unwrap();
        assert_eq!(m.minor, 150_000_000);
        assert_eq!(m.to_string(), "IDR 1,500,000");
        assert_eq!(Money::new(-1250, Currency::CNY).to_string(), "CNY -12.50");
    }

    #[test]
    fn mixing_currencies_is_an_error() {
        let a = Money::new(1, Currency::IDR);
        let b = Money::new(1, Currency::CNY);
        assert!(matches!(
            a.checked_add(b),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(
            Money::new(i64::MAX, Currency::IDR).checked_add(a),
            Err(MoneyError::Overflow)
        );
    }
}
