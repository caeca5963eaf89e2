//! For the wasm32 builds of core: a free list per small size class in front
//! of an allocator (the module guest's), and a faster `memcmp` (every wasm32
//! build, since compiler-builtins' one compares a byte at a time).
//!
//! Evaluating a document allocates and frees many small strings and map
//! nodes. In a module, the allocator alone took 16% of the guest's time
//! (benches/README.md); popping and pushing a free list is a few
//! instructions. Small blocks are kept for reuse at their size rather than
//! returned to the inner allocator, so the cache holds at most the peak of
//! each class.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::UnsafeCell;

/// Classes are multiples of `GRAIN` up to `GRAIN * CLASSES` bytes.
const GRAIN: usize = 16;
const CLASSES: usize = 16;

pub struct SizeClassCache<A> {
    inner: A,
    /// Head of each class's free list; a free block's first word is the next.
    free: UnsafeCell<[*mut u8; CLASSES]>,
}

// SAFETY: wasm32 without atomics has one thread; elsewhere the free lists
// would race, so the cache is not `Sync` there.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
unsafe impl<A: Sync> Sync for SizeClassCache<A> {}

impl<A> SizeClassCache<A> {
    pub const fn new(inner: A) -> Self {
        SizeClassCache {
            inner,
            free: UnsafeCell::new([std::ptr::null_mut(); CLASSES]),
        }
    }
}

/// The class of a layout, if it is small; every block of a class is
/// allocated with the class's full size and alignment `GRAIN`.
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size();
    (size <= GRAIN * CLASSES && layout.align() <= GRAIN).then(|| size.saturating_sub(1) / GRAIN)
}

fn class_layout(class: usize) -> Layout {
    // SAFETY: a non-zero multiple of a power-of-two alignment.
    unsafe { Layout::from_size_align_unchecked((class + 1) * GRAIN, GRAIN) }
}

unsafe impl<A: GlobalAlloc> GlobalAlloc for SizeClassCache<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            return unsafe { self.inner.alloc(layout) };
        };
        let free = unsafe { &mut *self.free.get() };
        let head = free[class];
        if head.is_null() {
            return unsafe { self.inner.alloc(class_layout(class)) };
        }
        free[class] = unsafe { *(head as *mut *mut u8) };
        head
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout) else {
            return unsafe { self.inner.dealloc(ptr, layout) };
        };
        let free = unsafe { &mut *self.free.get() };
        unsafe { *(ptr as *mut *mut u8) = free[class] };
        free[class] = ptr;
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size` with this alignment is valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            (Some(old), Some(new)) if old == new => ptr,
            (None, None) => unsafe { self.inner.realloc(ptr, layout, new_size) },
            _ => {
                let new_ptr = unsafe { self.alloc(new_layout) };
                if !new_ptr.is_null() {
                    let keep = layout.size().min(new_size);
                    unsafe { std::ptr::copy_nonoverlapping(ptr, new_ptr, keep) };
                    unsafe { self.dealloc(ptr, layout) };
                }
                new_ptr
            }
        }
    }
}

// compiler-builtins' `memcmp` (weak, so these replace it) compares a byte
// at a time; CEL's name lookups and B-tree string keys made it 5% of the
// guest's time. Eight bytes at a time, then the first differing byte.

/// # Safety
/// `a` and `b` must be readable for `n` bytes.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i + 8 <= n {
        let x = unsafe { (a.add(i) as *const u64).read_unaligned() };
        let y = unsafe { (b.add(i) as *const u64).read_unaligned() };
        if x != y {
            // Read as big-endian, the words compare as their bytes do.
            return if u64::from_be(x) < u64::from_be(y) {
                -1
            } else {
                1
            };
        }
        i += 8;
    }
    while i < n {
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// Equality only (non-zero when the bytes differ): most calls compare short
/// names, so sizes under 8 are two overlapping loads rather than a loop.
///
/// # Safety
/// `a` and `b` must be readable for `n` bytes.
#[cfg_attr(target_arch = "wasm32", no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let load4 = |p: *const u8, at: usize| unsafe { (p.add(at) as *const u32).read_unaligned() };
    let load8 = |p: *const u8, at: usize| unsafe { (p.add(at) as *const u64).read_unaligned() };
    let differ = match n {
        0 => false,
        1..=3 => (0..n).any(|i| unsafe { *a.add(i) != *b.add(i) }),
        4..=7 => load4(a, 0) != load4(b, 0) || load4(a, n - 4) != load4(b, n - 4),
        _ => {
            let mut i = 0;
            while i + 8 < n && load8(a, i) == load8(b, i) {
                i += 8;
            }
            i + 8 < n || load8(a, n - 8) != load8(b, n - 8)
        }
    };
    i32::from(differ)
}

#[cfg(test)]
mod tests {
    use super::{bcmp, memcmp, SizeClassCache};
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cmp::Ordering;

    /// Blocks keep their bytes through reallocation within and across
    /// classes and to and from large sizes, and a freed small block is
    /// reused for the next allocation of its class.
    #[test]
    fn blocks_keep_their_bytes_and_small_ones_are_reused() {
        let cache = SizeClassCache::new(System);
        let sizes = [1usize, 15, 16, 17, 100, 256, 257, 1000, 40, 3];
        for (i, &size) in sizes.iter().enumerate() {
            let layout = Layout::from_size_align(size, 1).unwrap_or(Layout::new::<u8>());
            let ptr = unsafe { cache.alloc(layout) };
            assert!(!ptr.is_null());
            unsafe { std::ptr::write_bytes(ptr, i as u8, size) };
            let next = sizes[(i + 1) % sizes.len()];
            let grown = unsafe { cache.realloc(ptr, layout, next) };
            let kept = size.min(next);
            let bytes = unsafe { std::slice::from_raw_parts(grown, kept) };
            assert!(bytes.iter().all(|&b| b == i as u8), "{size} -> {next}");
            let next_layout = Layout::from_size_align(next, 1).unwrap_or(Layout::new::<u8>());
            unsafe { cache.dealloc(grown, next_layout) };
        }
        let small = Layout::new::<[u64; 4]>();
        let first = unsafe { cache.alloc(small) };
        unsafe { cache.dealloc(first, small) };
        assert_eq!(unsafe { cache.alloc(small) }, first);
    }

    /// Every pair of lengths up to 40 with a difference at every place, and
    /// equal pairs: the sign of `memcmp` and the truth of `bcmp` match
    /// slice comparison.
    #[test]
    fn compare_as_slices_do() {
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            let mut cases = vec![a.clone()];
            for at in 0..n {
                for delta in [1u8, 0x80, 0xff] {
                    let mut b = a.clone();
                    b[at] = b[at].wrapping_add(delta);
                    cases.push(b);
                }
            }
            for b in cases {
                let ord = unsafe { memcmp(a.as_ptr(), b.as_ptr(), n) }.cmp(&0);
                assert_eq!(ord, a.cmp(&b), "memcmp {a:?} {b:?}");
                let differ = unsafe { bcmp(a.as_ptr(), b.as_ptr(), n) } != 0;
                assert_eq!(differ, a != b, "bcmp {a:?} {b:?}");
                assert_eq!(ord == Ordering::Equal, !differ);
            }
        }
    }
}
