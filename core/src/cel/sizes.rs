//! What the CEL cost estimate (`estimate`) knows of a value: bounds on its
//! size ([`Shape`], [`Bound`]), and what it asks of the policy about the
//! values its variables hold ([`Sizes`]).

use super::budget::{ELEMENT_BYTES, MAX_VALUE_BYTES};

/// The most a size or a cost can be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bound {
    pub max: u64,
    /// `max` holds only because of the document limits (the most values and
    /// text a document may have, the most bytes a built value may have):
    /// nothing the policy says bounds it.
    pub limited: bool,
}

impl Bound {
    pub const ZERO: Bound = Bound::exact(0);

    /// A bound the policy gives (a schema keyword, a literal, params).
    pub const fn exact(max: u64) -> Bound {
        Bound {
            max,
            limited: false,
        }
    }

    /// A bound only the document limits give.
    pub const fn limit(max: u64) -> Bound {
        Bound { max, limited: true }
    }

    pub fn plus(self, other: Bound) -> Bound {
        Bound {
            max: self.max.saturating_add(other.max),
            limited: self.limited || other.limited,
        }
    }

    /// The product; nothing times anything is nothing.
    pub fn times(self, other: Bound) -> Bound {
        if self == Bound::ZERO || other == Bound::ZERO {
            return Bound::ZERO;
        }
        Bound {
            max: self.max.saturating_mul(other.max),
            limited: self.limited || other.limited,
        }
    }

    /// Either of the two.
    pub fn or(self, other: Bound) -> Bound {
        Bound {
            max: self.max.max(other.max),
            limited: self.limited || other.limited,
        }
    }

    /// The tighter of two bounds that both hold.
    pub fn at_most(self, other: Bound) -> Bound {
        if self.max <= other.max {
            self
        } else {
            other
        }
    }

    pub(super) fn over(self, divisor: u64) -> Bound {
        Bound {
            max: self.max / divisor.max(1),
            ..self
        }
    }

    pub(super) fn scaled(self, factor: u64) -> Bound {
        self.times(Bound::exact(factor))
    }
}

/// What a value may be, as far as costs go: each part is 0 when the value
/// cannot be of that type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Elements, if it may be a list.
    pub elements: Bound,
    /// Entries, if it may be a map.
    pub entries: Bound,
    /// Bytes, if it may be a string or bytes.
    pub text: Bound,
    /// Its size as `budget` counts it, deeply (`ELEMENT_BYTES` for a scalar,
    /// per list element and, twice, per map entry).
    pub bytes: Bound,
}

impl Shape {
    /// Nothing: a value that cannot be there.
    pub const NOTHING: Shape = Shape {
        elements: Bound::ZERO,
        entries: Bound::ZERO,
        text: Bound::ZERO,
        bytes: Bound::ZERO,
    };

    /// A number, a bool, null, a timestamp, ...
    pub const SCALAR: Shape = Shape {
        bytes: Bound::exact(ELEMENT_BYTES),
        ..Shape::NOTHING
    };

    /// A string (or bytes) of at most `bytes` bytes.
    pub fn string(bytes: Bound) -> Shape {
        Shape {
            text: bytes,
            bytes,
            ..Shape::NOTHING
        }
    }

    /// Anything of at most `bytes` bytes as costs count them.
    pub fn within(bytes: Bound) -> Shape {
        Shape {
            elements: bytes.over(ELEMENT_BYTES),
            entries: bytes.over(2 * ELEMENT_BYTES),
            text: bytes,
            bytes,
        }
    }

    /// Either of the two.
    pub fn or(self, other: Shape) -> Shape {
        Shape {
            elements: self.elements.or(other.elements),
            entries: self.entries.or(other.entries),
            text: self.text.or(other.text),
            bytes: self.bytes.or(other.bytes),
        }
    }

    /// Both hold.
    pub fn at_most(self, other: Shape) -> Shape {
        Shape {
            elements: self.elements.at_most(other.elements),
            entries: self.entries.at_most(other.entries),
            text: self.text.at_most(other.text),
            bytes: self.bytes.at_most(other.bytes),
        }
    }

    /// What a built value may be: no more than `MAX_VALUE_BYTES`.
    pub(super) fn capped(self) -> Shape {
        self.at_most(Shape::within(Bound::limit(MAX_VALUE_BYTES)))
    }

    pub(super) fn is_scalar(&self) -> bool {
        self.elements == Bound::ZERO && self.entries == Bound::ZERO && self.text == Bound::ZERO
    }

    /// How many elements, entries or characters `range` and `distinct`
    /// count (a string's too: they count before failing on it).
    pub(super) fn length(&self) -> Bound {
        self.elements.or(self.entries).or(self.text)
    }
}

/// One step from a variable into its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A field of a map (`.name`, `['name']`).
    Field(String),
    /// Any element of a list or value of a map (`[i]`, `[key]`).
    Items,
    /// What a comprehension's variable takes: an element of a list or a
    /// key of a map.
    Each,
}

/// What the policy knows of the sizes its variables hold.
pub trait Sizes {
    /// The shape of what `variable` holds at `path`, with the document
    /// limits where the policy says nothing.
    fn shape(&self, variable: &str, path: &[Step]) -> Shape;
}
