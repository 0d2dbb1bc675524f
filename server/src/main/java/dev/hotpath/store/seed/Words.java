package dev.hotpath.store.seed;

import static dev.hotpath.store.seed.Ascii.ascii;
import static dev.hotpath.store.seed.Ascii.bytes;

/** The generator's vocabulary: fixed column values, names, nouns, countries, as ASCII bytes. */
final class Words {
  private Words() {}

  static final byte[] NULL = ascii("\\N");
  static final byte[] VERSION_1 = ascii("1\t");
  static final byte[] ACTIVE = ascii("active");
  static final byte[] SUSPENDED = ascii("suspended");
  static final byte[] CLOSED = ascii("closed");
  static final byte[] DISCONTINUED = ascii("discontinued");
  static final byte[] PLACED = ascii("placed");
  static final byte[] PAID = ascii("paid");
  static final byte[] SHIPPED = ascii("shipped");
  static final byte[] DELIVERED = ascii("delivered");
  static final byte[] CANCELLED = ascii("cancelled");
  static final byte[] USD = ascii("USD");
  static final byte[] SKU = ascii("SKU-");
  static final byte[] J_LINE1 = ascii("{\"line1\": \"");
  static final byte[] J_LINE2 = ascii("\", \"line2\": \"Apt ");
  static final byte[] J_CITY = ascii("\", \"city\": \"");
  static final byte[] J_REGION = ascii("\", \"region\": \"");
  static final byte[] J_POSTAL = ascii("\", \"postal_code\": \"");
  static final byte[] J_COUNTRY = ascii("\", \"country\": \"");
  static final byte[] J_END = ascii("\"}");

  static final byte[][] FIRST_NAMES =
      bytes(
          new String[] {
            "Ada", "Alan", "Amara", "Ben", "Carla", "Chen", "Dana", "Diego", "Elena", "Emil",
                "Fatima", "Felix",
            "Grace", "Hana", "Ivan", "Jonas", "Julia", "Kenji", "Lena", "Liam", "Maya", "Mateo",
                "Nina", "Noah",
            "Olga", "Omar", "Priya", "Rafael", "Sara", "Tom", "Yuki", "Zoe"
          });
  static final byte[][] LAST_NAMES =
      bytes(
          new String[] {
            "Adams", "Becker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
                "Jensen", "Khan",
            "Lopez", "Meyer", "Novak", "Okafor", "Patel", "Quinn", "Rossi", "Schmidt", "Silva",
                "Tanaka", "Turner",
            "Urban", "Varga", "Wagner", "Weber", "Wong", "Young", "Zimmermann", "Nguyen",
                "Kowalski", "Moreau"
          });

  static final String[] CATEGORIES = {
    "books",
    "garden",
    "kitchen",
    "toys",
    "electronics",
    "sports",
    "beauty",
    "office",
    "pets",
    "music",
    "outdoors",
    "home"
  };
  static final String[][] NOUNS = {
    {"Novel", "Cookbook", "Atlas", "Notebook Journal", "Poetry Collection", "Field Guide"},
    {"Trowel", "Hose", "Planter", "Pruning Shears", "Seed Kit", "Watering Can"},
    {"Skillet", "Knife Set", "Kettle", "Cutting Board", "Blender", "Mixing Bowl"},
    {"Puzzle", "Building Set", "Plush Bear", "Kite", "Board Game", "Yo-yo"},
    {"Headphones", "Charger", "Speaker", "Keyboard", "Webcam", "USB Hub"},
    {"Yoga Mat", "Football", "Tennis Racket", "Water Bottle", "Jump Rope", "Dumbbell"},
    {"Face Cream", "Shampoo", "Lip Balm", "Hair Brush", "Soap Bar", "Perfume"},
    {"Stapler", "Desk Lamp", "Pen Set", "Binder", "Desk Organizer", "Whiteboard"},
    {"Dog Leash", "Cat Tree", "Pet Bed", "Chew Toy", "Food Bowl", "Bird Feeder"},
    {"Guitar Strings", "Ukulele", "Drum Sticks", "Vinyl Record", "Harmonica", "Metronome"},
    {"Tent", "Sleeping Bag", "Headlamp", "Backpack", "Camp Stove", "Compass"},
    {"Throw Pillow", "Candle", "Wall Clock", "Picture Frame", "Rug", "Vase"}
  };
  static final String[] ADJECTIVES = {
    "Classic",
    "Compact",
    "Deluxe",
    "Eco",
    "Essential",
    "Handmade",
    "Heavy-Duty",
    "Lightweight",
    "Modern",
    "Premium",
    "Rustic",
    "Smart",
    "Sturdy",
    "Travel",
    "Vintage",
    "Everyday"
  };

  static final Country[] COUNTRIES = {
    Country.of(
        "US",
        50,
        new String[] {
          "Springfield", "Portland", "Austin", "Denver", "Columbus", "Madison", "Raleigh", "Boise"
        },
        new String[] {"IL", "OR", "TX", "CO", "OH", "WI", "NC", "ID"},
        new String[] {
          "Main St",
          "Oak Ave",
          "Maple Dr",
          "Cedar Ln",
          "Park Blvd",
          "Elm St",
          "Lake Rd",
          "Washington Ave"
        },
        true,
        "99999"),
    Country.of(
        "DE",
        65,
        new String[] {"Berlin", "Hamburg", "Munich", "Cologne", "Leipzig", "Dresden", "Stuttgart"},
        null,
        new String[] {
          "Hauptstrasse",
          "Bahnhofstrasse",
          "Gartenweg",
          "Schillerstrasse",
          "Lindenallee",
          "Bergstrasse"
        },
        false,
        "99999"),
    Country.of(
        "GB",
        77,
        new String[] {"London", "Manchester", "Bristol", "Leeds", "Edinburgh", "Cardiff"},
        null,
        new String[] {"High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"},
        true,
        "AA9 9AA"),
    Country.of(
        "FR",
        87,
        new String[] {"Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Lille"},
        null,
        new String[] {
          "rue de la Paix",
          "avenue Victor Hugo",
          "boulevard Voltaire",
          "rue du Moulin",
          "place de la Gare"
        },
        true,
        "99999"),
    Country.of(
        "NL",
        93,
        new String[] {"Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen"},
        null,
        new String[] {"Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein", "Prinsengracht"},
        false,
        "9999 AA"),
    Country.of(
        "CA",
        100,
        new String[] {"Toronto", "Vancouver", "Montreal", "Calgary", "Ottawa", "Halifax"},
        new String[] {"ON", "BC", "QC", "AB", "ON", "NS"},
        new String[] {"King St", "Queen St", "Yonge St", "Main St", "Robson St"},
        true,
        "A9A 9A9")
  };
}
