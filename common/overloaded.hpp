#pragma once
// std::visit over a variant with one lambda per alternative.
namespace svl {

template <class... F>
struct overloaded : F... {
  using F::operator()...;
};
template <class... F>
overloaded(F...) -> overloaded<F...>;

}  // namespace svl
