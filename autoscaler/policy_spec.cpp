#include "autoscaler/policy_spec.hpp"

#include <charconv>
#include <cstdio>

#include "autoscaler/portfolio_policy.hpp"

#include "common/units.hpp"

namespace svl::autoscaler {
namespace {

Failure bad(const std::string& spec, const std::string& why) {
  return Failure{make_error_code(Error::unknown_policy), "policy \"" + spec + "\": " + why};
}

// "a=1,b=2" -> calls on(key, value) for each; stops at the first error.
template <typename F>
std::optional<Failure> each_option(const std::string& spec, std::string_view options, F&& on) {
  while (!options.empty()) {
    auto comma = options.find(',');
    std::string_view item = options.substr(0, comma);
    options = comma == std::string_view::npos ? std::string_view{} : options.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos) return bad(spec, "expected key=value, found \"" + std::string(item) + "\"");
    if (auto e = on(item.substr(0, eq), item.substr(eq + 1))) return bad(spec, *e);
  }
  return std::nullopt;
}

std::optional<std::string> set_duration(Duration& out, std::string_view v) {
  auto parsed = parse_duration(v);
  if (auto* e = std::get_if<ParseError>(&parsed)) return e->message;
  out = std::get<std::chrono::milliseconds>(parsed);
  return std::nullopt;
}

std::optional<std::string> set_optional_duration(std::optional<Duration>& out, std::string_view v) {
  auto parsed = parse_duration_or_off(v);
  if (auto* e = std::get_if<ParseError>(&parsed)) return e->message;
  auto d = std::get<std::optional<std::chrono::milliseconds>>(parsed);
  out = d ? std::optional<Duration>(*d) : std::nullopt;
  return std::nullopt;
}

template <typename T>
std::optional<std::string> set_number(T& out, std::string_view v) {
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || ptr != v.data() + v.size() || out < 0) return "bad number \"" + std::string(v) + "\"";
  return std::nullopt;
}

std::optional<std::string> set_switch(bool& out, std::string_view v) {
  if (v != "on" && v != "off") return "expected on or off, got \"" + std::string(v) + "\"";
  out = v == "on";
  return std::nullopt;
}

// "off" (empty), or items separated by '/', each read by `item(out, text)`: "1/0.25/4", "1m/3m/10m".
template <typename T, typename F>
std::optional<std::string> set_list(std::vector<T>& out, std::string_view v, F&& item) {
  out.clear();
  if (v == "off") return std::nullopt;
  while (true) {
    auto slash = v.find('/');
    T x{};
    if (auto e = item(x, v.substr(0, slash))) return e;
    out.push_back(x);
    if (slash == std::string_view::npos) return std::nullopt;
    v = v.substr(slash + 1);
  }
}

std::optional<std::string> set_cost_factor(double& out, std::string_view v) {
  if (auto e = set_number(out, v)) return e;
  if (out <= 0) return "portfolio cost factors must be above 0, got \"" + std::string(v) + "\"";
  return std::nullopt;
}

std::optional<std::string> unknown(std::string_view key, const char* known) {
  return "unknown option \"" + std::string(key) + "\" (known: " + known + ")";
}

}  // namespace

std::variant<PolicySpec, Failure> parse_policy(std::string_view text) {
  PolicySpec spec;
  spec.text = std::string(text);
  auto colon = text.find(':');
  std::string_view kind = text.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);

  if (kind == "fixed") {
    FixedPolicyConfig c;
    auto comma = rest.find(',');
    if (auto e = set_duration(c.idle_timeout, rest.substr(0, comma))) return bad(spec.text, *e);
    auto more = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (auto f = each_option(spec.text, more, [&](std::string_view k, std::string_view v) -> std::optional<std::string> {
          if (k == "pause") return set_optional_duration(c.pause_after, v);
          return unknown(k, "pause");
        }))
      return *f;
    spec.config = c;
    return spec;
  }
  if (kind == "hybrid") {
    HybridPolicyConfig c;
    if (auto f = each_option(spec.text, rest, [&](std::string_view k, std::string_view v) -> std::optional<std::string> {
          if (k == "fallback") return set_duration(c.fallback_keep_alive, v);
          if (k == "min_samples") return set_number(c.min_samples, v);
          if (k == "cv") return set_number(c.cv_threshold, v);
          return unknown(k, "fallback, min_samples, cv");
        }))
      return *f;
    spec.config = c;
    return spec;
  }
  if (kind == "adaptive") {
    AdaptivePolicyConfig c;
    if (auto f = each_option(spec.text, rest, [&](std::string_view k, std::string_view v) -> std::optional<std::string> {
          if (k == "cost") return set_number(c.cold_start_cost_gb_s, v);
          if (k == "prior") return set_number(c.prior_weight, v);
          if (k == "prior_half_life") return set_number(c.prior_half_life, v);
          if (k == "margin") return set_number(c.margin, v);
          if (k == "rare_boost") return set_number(c.rare_boost, v);
          if (k == "prewarm_min") return set_number(c.prewarm_min_samples, v);
          if (k == "history") return set_number(c.history, v);
          if (k == "forecast") return set_switch(c.minute_forecast, v);
          if (k == "forecast_margin") return set_number(c.forecast_margin, v);
          if (k == "lead") return set_duration(c.prewarm_lead, v);
          if (k == "max_keep") return set_duration(c.max_keep, v);
          if (k == "pause") return set_optional_duration(c.pause_after, v);
          if (k == "portfolio") return set_list(c.portfolio, v, set_cost_factor);
          if (k == "portfolio_fixed") return set_list(c.portfolio_fixed, v, set_duration);
          if (k == "portfolio_half_life") return set_duration(c.portfolio_half_life, v);
          if (k == "new_keep") {
            std::optional<Duration> keep;
            if (auto e = set_optional_duration(keep, v)) return e;
            if (!keep) {
              c.new_function.reset();
            } else {
              if (!c.new_function) c.new_function = NewFunctionCap{};
              c.new_function->keep = *keep;
            }
            return std::nullopt;
          }
          if (k == "new_idle_times") {
            if (!c.new_function) return "new_idle_times needs new_keep on";
            return set_number(c.new_function->idle_times, v);
          }
          return unknown(k, "cost, prior, prior_half_life, margin, rare_boost, prewarm_min, history, max_keep, pause, "
                            "forecast, forecast_margin, lead, portfolio, portfolio_fixed, "
                            "portfolio_half_life, new_keep, new_idle_times");
        }))
      return *f;
    if (c.history == 0) return bad(spec.text, "history must be at least 1");
    spec.config = c;
    return spec;
  }
  return Failure{make_error_code(Error::unknown_policy),
                 "unknown policy \"" + spec.text +
                     "\"; expected fixed:<duration> (e.g. fixed:10m), hybrid[:key=value,...] or adaptive[:key=value,...]"};
}

std::unique_ptr<KeepAlivePolicy> make_policy(const PolicySpec& spec, std::uint64_t memory_bytes) {
  if (auto* f = std::get_if<FixedPolicyConfig>(&spec.config)) return std::make_unique<FixedPolicy>(*f);
  if (auto* h = std::get_if<HybridPolicyConfig>(&spec.config)) return std::make_unique<HybridPolicy>(*h);
  AdaptivePolicyConfig a = std::get<AdaptivePolicyConfig>(spec.config);
  a.memory_bytes = memory_bytes;
  return make_adaptive_policy(a);
}

// The new-function cap applies to the plan followed, not to the candidates: their records stay
// what their own plans would have cost.
std::unique_ptr<KeepAlivePolicy> make_adaptive_policy(const AdaptivePolicyConfig& config) {
  if (config.portfolio.empty()) {
    auto single = std::make_unique<AdaptivePolicy>(config);
    single->set_new_function_cap(config.new_function);
    return single;
  }
  std::vector<PortfolioCandidate> candidates;
  AdaptivePolicy* reference = nullptr;
  for (double factor : config.portfolio) {
    AdaptivePolicyConfig c = config;
    c.portfolio.clear();
    c.cold_start_cost_gb_s *= factor;
    auto policy = std::make_unique<AdaptivePolicy>(c);
    if (!reference) reference = policy.get();
    char label[48];
    std::snprintf(label, sizeof label, "cost x%g", factor);
    candidates.push_back({label, std::move(policy)});
  }
  for (Duration timeout : config.portfolio_fixed) {
    FixedPolicyConfig f;
    f.pause_after = config.pause_after;
    f.idle_timeout = timeout;
    f.stopped_retention = config.stopped_retention;
    candidates.push_back(
        {"fixed " + format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(timeout)),
         std::make_unique<FixedPolicy>(f)});
  }
  PortfolioConfig p;
  // Every candidate is judged by the reference's break-even: the cost the user asked for.
  const double factor = config.portfolio.front();
  p.breakeven_s = [reference, factor] { return reference->window().breakeven / factor; };
  p.half_life = config.portfolio_half_life;
  p.name = "adaptive";
  auto portfolio = std::make_unique<PortfolioPolicy>(std::move(candidates), std::move(p));
  portfolio->set_new_function_cap(config.new_function);
  return portfolio;
}

}  // namespace svl::autoscaler
